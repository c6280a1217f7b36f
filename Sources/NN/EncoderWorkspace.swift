import CKernels
import Linalg

/// One architecture's activations, caches and scratch for a fixed batch, and its share of a pass on one
/// lane: the images of `lane.shard(of: batch)` from the workspace's `input` to its `embedding`, and back.
protocol EncoderPass: AnyObject, Sendable {
    /// Runs the lane's images from `input` to `embedding` (pooled features).
    func forward(lane: LaneContext, training: Bool, trainingFrom: Int)
    /// Back-propagates `gradEmbedding` for the lane's images down to block `firstBlock` (0: the stem too),
    /// accumulating weight gradients into `gradients` (the lane's copy of the parameter set's buffer).
    func backward(lane: LaneContext, firstBlock: Int, gradients: UnsafeMutablePointer<Float>)
    /// The first block of the last stage (what a partial fine-tune trains, with any head after it).
    var lastStageFirstBlock: Int { get }
    /// Channels of the widest BatchNorm (its all-reduce scratch).
    var widestNorm: Int { get }
    /// Floats of the activations a forward pass keeps (for the whole batch).
    var forwardFloats: Int { get }
    /// Allocates what only a backward pass needs; called before the lanes start one.
    func prepareBackward()
}

/// Every activation, cache and scratch buffer one forward/backward pass of an `Encoder` needs for a
/// fixed batch size, allocated once and reused for every batch.
///
/// Layout NHWC throughout. `input` is [batch, side, side, inChannels]; `embedding` is [batch, D]
/// (pooled features, not normalised); `projection` is [batch, projectionOut].
public final class EncoderWorkspace: @unchecked Sendable {
    public let encoder: Encoder
    public let batch: Int
    public let input: FloatBuffer
    public let embedding: FloatBuffer
    public let projection: FloatBuffer
    let hidden: FloatBuffer, hiddenAct: FloatBuffer
    let gradEmbedding: FloatBuffer, gradHidden: FloatBuffer
    /// The lanes a pass runs on, each on its own shard of the batch (see `LaneTeam`).
    public let team: LaneTeam
    /// Weight gradients of lanes 1…: summed into the parameter set's at the end of a backward pass.
    let laneGradients: [FloatBuffer]
    /// The architecture's own buffers and lane code.
    let pass: any EncoderPass

    /// A workspace for `batch` images on `lanes` lanes (at most one per image; the caller's thread count,
    /// what `--threads` says). With more than one lane, every GEMM inside a pass runs single-threaded.
    public init(encoder: Encoder, batch: Int, lanes: Int) {
        precondition(batch > 0, "batch")
        self.encoder = encoder
        self.batch = batch
        let laneCount = max(1, min(batch, lanes))
        team = LaneTeam(lanes: laneCount)
        let config = encoder.config
        input = FloatBuffer(count: batch * config.side * config.side * config.inChannels)
        let d = config.embeddingDimension
        embedding = FloatBuffer(count: batch * d)
        hidden = FloatBuffer(count: batch * config.hidden)
        hiddenAct = FloatBuffer(count: batch * config.hidden)
        projection = FloatBuffer(count: batch * config.projectionOut)
        laneGradients = (1..<max(1, laneCount)).map { _ in FloatBuffer(count: encoder.parameters.count) }
        gradEmbedding = FloatBuffer(count: batch * d)
        gradHidden = FloatBuffer(count: batch * config.hidden)
        if let mobile = encoder.mobile {
            pass = EfficientNetPass(
                encoder: encoder, network: mobile, batch: batch, lanes: laneCount, input: input,
                embedding: embedding, gradEmbedding: gradEmbedding)
        } else {
            pass = ResNetPass(
                encoder: encoder, batch: batch, lanes: laneCount, input: input, embedding: embedding,
                gradEmbedding: gradEmbedding)
        }
        team.reserveReduction(2 * pass.widestNorm)
    }

    /// Runs `body` on every lane with OpenBLAS single-threaded (the lanes are the parallelism).
    func onLanes(_ body: (LaneContext) -> Void) {
        guard team.lanes > 1 else { return team.run(body) }
        Gemm.singleThreaded { team.run(body) }
    }

    /// Runs the encoder on `input` into `embedding`; with `head`, also the projection into `projection`.
    /// `training` uses batch statistics (and updates the running ones); otherwise running statistics.
    /// `trainingFrom` > 0 keeps the stem and the blocks before it in evaluation mode (a partial fine-tune:
    /// frozen layers compute exactly what they will at inference).
    public func forward(training: Bool, head: Bool, trainingFrom: Int = 0) {
        let pass = self.pass
        onLanes { lane in pass.forward(lane: lane, training: training, trainingFrom: trainingFrom) }
        guard head else { return }
        let e = encoder, p = e.parameters
        e.projection1.forward(embedding.pointer, batch: batch, output: hidden.pointer, parameters: p)
        ReLU.forward(hidden.pointer, count: hidden.count, output: hiddenAct.pointer)
        e.projection2.forward(hiddenAct.pointer, batch: batch, output: projection.pointer, parameters: p)
    }

    /// Back-propagates `gradProjection` ([batch, projectionOut]) through a training-mode forward pass
    /// (with head), accumulating every parameter's gradient.
    public func backward(gradProjection: UnsafePointer<Float>) {
        let e = encoder, p = e.parameters
        e.projection2.backward(
            hiddenAct.pointer, gradOutput: gradProjection, batch: batch,
            gradInput: gradHidden.pointer, parameters: p)
        ReLU.backward(
            output: hiddenAct.pointer, gradOutput: gradHidden.pointer, count: gradHidden.count,
            gradInput: gradHidden.pointer)
        e.projection1.backward(
            embedding.pointer, gradOutput: gradHidden.pointer, batch: batch,
            gradInput: gradEmbedding.pointer, parameters: p)
        backwardFromEmbedding(firstBlock: 0)
    }

    /// The largest batch, up to `limit`, whose forward activations fit in `bytes` (an embedding run's
    /// memory then stays the same whatever the project's size).
    public static func batch(for encoder: Encoder, limit: Int, bytes: Int = 768 << 20) -> Int {
        let perImage = EncoderWorkspace(encoder: encoder, batch: 1, lanes: 1).pass.forwardFloats * 4
        return max(1, min(limit, bytes / max(1, perImage)))
    }

    /// The first block of the last stage (what a partial fine-tune trains).
    public var lastStageFirstBlock: Int { pass.lastStageFirstBlock }

    /// Back-propagates `gradient` ([batch, D], of the loss with respect to `embedding`) through a
    /// training-mode forward pass, down to block `firstBlock` only (0: the whole encoder, stem included):
    /// the parameters below it get no gradient.
    public func backward(gradEmbedding gradient: UnsafePointer<Float>, firstBlock: Int) {
        gradEmbedding.pointer.update(from: gradient, count: gradEmbedding.count)
        backwardFromEmbedding(firstBlock: firstBlock)
    }

    func backwardFromEmbedding(firstBlock: Int) {
        let pass = self.pass
        pass.prepareBackward()
        onLanes { lane in
            let grads = lane.lane == 0 ? encoder.parameters.gradients.pointer : laneGradients[lane.lane - 1].pointer
            pass.backward(lane: lane, firstBlock: firstBlock, gradients: grads)
            guard lane.lanes > 1 else { return }
            // Sum the lanes' weight gradients into the parameter set's, each lane a slice of them.
            lane.barrier()
            let total = encoder.parameters.gradients.pointer
            let slice = lane.shard(of: encoder.parameters.count)
            for other in laneGradients {
                pk_add(total + slice.lowerBound, other.pointer + slice.lowerBound, slice.count)
                (other.pointer + slice.lowerBound).update(repeating: 0, count: slice.count)
            }
        }
    }
}

/// The small ResNet's buffers and lane code.
final class ResNetPass: EncoderPass, @unchecked Sendable {
    let encoder: Encoder
    let batch: Int
    let input: FloatBuffer, embedding: FloatBuffer, gradEmbedding: FloatBuffer

    struct BlockBuffers {
        let inSide: Int, outSide: Int
        let c1: FloatBuffer, n1: FloatBuffer, c2: FloatBuffer, out: FloatBuffer
        let cd: FloatBuffer?, bd: FloatBuffer?
        let cache1: FloatBuffer, cache2: FloatBuffer, cacheD: FloatBuffer?
    }

    let stemSide: Int
    let stemConvOut: FloatBuffer, stemOut: FloatBuffer, stemCache: FloatBuffer
    let blocks: [BlockBuffers]
    // gradient scratch, each as large as the largest activation
    let gradA: FloatBuffer, gradB: FloatBuffer, gradC: FloatBuffer, gradD: FloatBuffer
    /// One im2col workspace per lane.
    let convWorkspaces: [FloatBuffer]

    init(
        encoder: Encoder, batch: Int, lanes laneCount: Int, input: FloatBuffer, embedding: FloatBuffer,
        gradEmbedding: FloatBuffer
    ) {
        self.encoder = encoder
        self.batch = batch
        self.input = input
        self.embedding = embedding
        self.gradEmbedding = gradEmbedding
        let shard = (batch + laneCount - 1) / laneCount
        let config = encoder.config
        stemSide = encoder.stemConv.outputSize(height: config.side, width: config.side).height
        let stemCount = batch * stemSide * stemSide * config.widths[0]
        stemConvOut = FloatBuffer(count: stemCount)
        stemOut = FloatBuffer(count: stemCount)
        stemCache = FloatBuffer(count: encoder.stemBN.cacheCount)
        var largest = stemCount
        var workspace = encoder.stemConv.workspaceCount(batch: shard, height: config.side, width: config.side)
        var side = stemSide
        var buffers: [BlockBuffers] = []
        for block in encoder.blocks {
            let outSide = block.conv1.outputSize(height: side, width: side).height
            let count = batch * outSide * outSide * block.outChannels
            largest = max(largest, count, batch * side * side * block.inChannels)
            workspace = max(
                workspace, block.conv1.workspaceCount(batch: shard, height: side, width: side),
                block.conv2.workspaceCount(batch: shard, height: outSide, width: outSide),
                block.down?.conv.workspaceCount(batch: shard, height: side, width: side) ?? 0)
            buffers.append(
                BlockBuffers(
                    inSide: side, outSide: outSide, c1: FloatBuffer(count: count), n1: FloatBuffer(count: count),
                    c2: FloatBuffer(count: count), out: FloatBuffer(count: count),
                    cd: block.down == nil ? nil : FloatBuffer(count: count),
                    bd: block.down == nil ? nil : FloatBuffer(count: count),
                    cache1: FloatBuffer(count: block.bn1.cacheCount), cache2: FloatBuffer(count: block.bn2.cacheCount),
                    cacheD: block.down.map { FloatBuffer(count: $0.bn.cacheCount) }))
            side = outSide
        }
        blocks = buffers
        convWorkspaces = (0..<laneCount).map { _ in FloatBuffer(count: workspace) }
        gradA = FloatBuffer(count: largest)
        gradB = FloatBuffer(count: largest)
        gradC = FloatBuffer(count: largest)
        gradD = FloatBuffer(count: largest)
    }

    var lastStageFirstBlock: Int { encoder.blocks.count - encoder.config.blocksPerStage }
    var widestNorm: Int { encoder.config.widths.max() ?? 0 }
    func prepareBackward() {}
    var forwardFloats: Int { 2 * stemConvOut.count + blocks.reduce(0) { $0 + 4 * $1.c1.count } }

    /// One lane's share of the encoder's forward pass: the images of `lane.shard(of: batch)`.
    func forward(lane: LaneContext, training: Bool, trainingFrom: Int) {
        let e = encoder, c = e.config, p = e.parameters, ws = convWorkspaces[lane.lane].pointer
        let images = lane.shard(of: batch), n = images.count, first = images.lowerBound
        let inPixels = c.side * c.side * c.inChannels
        let stemPixels = stemSide * stemSide
        let stemOffset = first * stemPixels * c.widths[0]
        e.stemConv.forward(
            input.pointer + first * inPixels, batch: n, height: c.side, width: c.side,
            output: stemConvOut.pointer + stemOffset, parameters: p, workspace: ws)
        e.stemBN.forward(
            stemConvOut.pointer + stemOffset, rows: n * stemPixels, totalRows: batch * stemPixels,
            output: stemOut.pointer + stemOffset, training: training && trainingFrom == 0, relu: true,
            parameters: p, cache: stemCache.pointer, lane: lane)
        var x = UnsafePointer(stemOut.pointer + stemOffset)
        for (index, (block, buf)) in zip(e.blocks, blocks).enumerated() {
            let training = training && index >= trainingFrom
            let pixels = buf.outSide * buf.outSide
            let rows = n * pixels, totalRows = batch * pixels
            let offset = first * pixels * block.outChannels
            let count = rows * block.outChannels
            let c1 = buf.c1.pointer + offset, n1 = buf.n1.pointer + offset, c2 = buf.c2.pointer + offset
            let out = buf.out.pointer + offset
            block.conv1.forward(
                x, batch: n, height: buf.inSide, width: buf.inSide, output: c1, parameters: p,
                workspace: ws)
            block.bn1.forward(
                c1, rows: rows, totalRows: totalRows, output: n1, training: training, relu: true,
                parameters: p, cache: buf.cache1.pointer, lane: lane)
            block.conv2.forward(
                n1, batch: n, height: buf.outSide, width: buf.outSide, output: c2, parameters: p,
                workspace: ws)
            block.bn2.forward(
                c2, rows: rows, totalRows: totalRows, output: out, training: training, relu: false,
                parameters: p, cache: buf.cache2.pointer, lane: lane)
            if let down = block.down, let cd = buf.cd, let bd = buf.bd, let cache = buf.cacheD {
                down.conv.forward(
                    x, batch: n, height: buf.inSide, width: buf.inSide, output: cd.pointer + offset,
                    parameters: p, workspace: ws)
                down.bn.forward(
                    cd.pointer + offset, rows: rows, totalRows: totalRows, output: bd.pointer + offset,
                    training: training, relu: false, parameters: p, cache: cache.pointer, lane: lane)
                pk_add_relu(out, bd.pointer + offset, count)
            } else {
                pk_add_relu(out, x, count)
            }
            x = UnsafePointer(out)
        }
        let last = blocks.last!
        GlobalAveragePool.forward(
            x, batch: n, pixels: last.outSide * last.outSide, channels: c.embeddingDimension,
            output: embedding.pointer + first * c.embeddingDimension)
    }

    /// One lane's share of the backward pass (the images of `lane.shard(of: batch)`); its weight
    /// gradients go to `grads`.
    func backward(lane: LaneContext, firstBlock: Int, gradients grads: UnsafeMutablePointer<Float>) {
        let e = encoder, c = e.config, p = e.parameters, ws = convWorkspaces[lane.lane].pointer
        let images = lane.shard(of: batch), n = images.count, first = images.lowerBound
        let last = blocks.last!
        let d = c.embeddingDimension
        // Scratch offsets: a lane's rows of each gradient buffer start at its first image.
        func at(_ buffer: FloatBuffer, _ perImage: Int) -> UnsafeMutablePointer<Float> {
            buffer.pointer + first * perImage
        }
        var gOut = gradA, gNext = gradB
        GlobalAveragePool.backward(
            gradOutput: gradEmbedding.pointer + first * d, batch: n,
            pixels: last.outSide * last.outSide, channels: d,
            gradInput: at(gOut, last.outSide * last.outSide * d))
        for index in stride(from: blocks.count - 1, through: max(0, firstBlock), by: -1) {
            let block = e.blocks[index], buf = blocks[index]
            let inPerImage = buf.inSide * buf.inSide * block.inChannels
            let pixels = buf.outSide * buf.outSide, outPerImage = pixels * block.outChannels
            let x = UnsafePointer(index == 0 ? stemOut.pointer : blocks[index - 1].out.pointer) + first * inPerImage
            let rows = n * pixels, totalRows = batch * pixels
            let count = rows * block.outChannels
            let gO = at(gOut, outPerImage), gN = at(gNext, inPerImage)
            let tmp1 = at(gradC, max(outPerImage, inPerImage)), tmp2 = at(gradD, max(outPerImage, inPerImage))
            let offset = first * outPerImage
            pk_relu_mask(gO, buf.out.pointer + offset, count)  // dSum
            block.bn2.backward(
                buf.c2.pointer + offset, gradOutput: gO, reluOutput: nil, rows: rows,
                totalRows: totalRows, gradInput: tmp1, parameters: p, cache: buf.cache2.pointer,
                lane: lane)
            block.conv2.backward(
                buf.n1.pointer + offset, gradOutput: tmp1, batch: n, height: buf.outSide,
                width: buf.outSide, gradInput: tmp2, parameters: p, workspace: ws, gradients: grads)
            block.bn1.backward(
                buf.c1.pointer + offset, gradOutput: tmp2, reluOutput: buf.n1.pointer + offset,
                rows: rows, totalRows: totalRows, gradInput: tmp1, parameters: p,
                cache: buf.cache1.pointer, lane: lane)
            block.conv1.backward(
                x, gradOutput: tmp1, batch: n, height: buf.inSide, width: buf.inSide,
                gradInput: gN, parameters: p, workspace: ws, gradients: grads)
            let inCount = n * inPerImage
            if let down = block.down, let cd = buf.cd, let cache = buf.cacheD {
                down.bn.backward(
                    cd.pointer + offset, gradOutput: gO, reluOutput: nil, rows: rows,
                    totalRows: totalRows, gradInput: tmp1, parameters: p, cache: cache.pointer,
                    lane: lane)
                down.conv.backward(
                    x, gradOutput: tmp1, batch: n, height: buf.inSide, width: buf.inSide,
                    gradInput: tmp2, parameters: p, workspace: ws, gradients: grads)
                pk_add(gN, tmp2, inCount)
            } else {
                pk_add(gN, gO, inCount)
            }
            swap(&gOut, &gNext)
        }
        guard firstBlock == 0 else { return }
        let stemPixels = stemSide * stemSide, stemPerImage = stemPixels * c.widths[0]
        let offset = first * stemPerImage
        let tmp1 = at(gradC, stemPerImage)
        e.stemBN.backward(
            stemConvOut.pointer + offset, gradOutput: at(gOut, stemPerImage),
            reluOutput: stemOut.pointer + offset, rows: n * stemPixels, totalRows: batch * stemPixels,
            gradInput: tmp1, parameters: p, cache: stemCache.pointer, lane: lane)
        e.stemConv.backward(
            input.pointer + first * c.side * c.side * c.inChannels, gradOutput: tmp1, batch: n,
            height: c.side, width: c.side, gradInput: nil, parameters: p, workspace: ws,
            gradients: grads)
    }
}
