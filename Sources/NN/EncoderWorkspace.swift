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

    struct BlockBuffers {
        let inSide: Int, outSide: Int
        let c1: FloatBuffer, n1: FloatBuffer, c2: FloatBuffer, out: FloatBuffer
        let cd: FloatBuffer?, bd: FloatBuffer?
        let cache1: FloatBuffer, cache2: FloatBuffer, cacheD: FloatBuffer?
    }

    let stemSide: Int
    let stemConvOut: FloatBuffer, stemOut: FloatBuffer, stemCache: FloatBuffer
    let blocks: [BlockBuffers]
    let hidden: FloatBuffer, hiddenAct: FloatBuffer
    let convWorkspace: FloatBuffer
    // gradient scratch, each as large as the largest activation
    let gradA: FloatBuffer, gradB: FloatBuffer, gradC: FloatBuffer, gradD: FloatBuffer
    let gradEmbedding: FloatBuffer, gradHidden: FloatBuffer

    public init(encoder: Encoder, batch: Int) {
        precondition(batch > 0, "batch")
        self.encoder = encoder
        self.batch = batch
        let config = encoder.config
        input = FloatBuffer(count: batch * config.side * config.side * config.inChannels)
        stemSide = encoder.stemConv.outputSize(height: config.side, width: config.side).height
        let stemCount = batch * stemSide * stemSide * config.widths[0]
        stemConvOut = FloatBuffer(count: stemCount)
        stemOut = FloatBuffer(count: stemCount)
        stemCache = FloatBuffer(count: encoder.stemBN.cacheCount)
        var largest = stemCount
        var workspace = encoder.stemConv.workspaceCount(batch: batch, height: config.side, width: config.side)
        var side = stemSide
        var buffers: [BlockBuffers] = []
        for block in encoder.blocks {
            let outSide = block.conv1.outputSize(height: side, width: side).height
            let count = batch * outSide * outSide * block.outChannels
            largest = max(largest, count, batch * side * side * block.inChannels)
            workspace = max(workspace, block.conv1.workspaceCount(batch: batch, height: side, width: side),
                            block.conv2.workspaceCount(batch: batch, height: outSide, width: outSide),
                            block.down?.conv.workspaceCount(batch: batch, height: side, width: side) ?? 0)
            buffers.append(BlockBuffers(
                inSide: side, outSide: outSide, c1: FloatBuffer(count: count), n1: FloatBuffer(count: count),
                c2: FloatBuffer(count: count), out: FloatBuffer(count: count),
                cd: block.down == nil ? nil : FloatBuffer(count: count),
                bd: block.down == nil ? nil : FloatBuffer(count: count),
                cache1: FloatBuffer(count: block.bn1.cacheCount), cache2: FloatBuffer(count: block.bn2.cacheCount),
                cacheD: block.down.map { FloatBuffer(count: $0.bn.cacheCount) }))
            side = outSide
        }
        blocks = buffers
        let d = config.embeddingDimension
        embedding = FloatBuffer(count: batch * d)
        hidden = FloatBuffer(count: batch * config.hidden)
        hiddenAct = FloatBuffer(count: batch * config.hidden)
        projection = FloatBuffer(count: batch * config.projectionOut)
        convWorkspace = FloatBuffer(count: workspace)
        gradA = FloatBuffer(count: largest)
        gradB = FloatBuffer(count: largest)
        gradC = FloatBuffer(count: largest)
        gradD = FloatBuffer(count: largest)
        gradEmbedding = FloatBuffer(count: batch * d)
        gradHidden = FloatBuffer(count: batch * config.hidden)
    }

    /// Runs the encoder on `input` into `embedding`; with `head`, also the projection into `projection`.
    /// `training` uses batch statistics (and updates the running ones); otherwise running statistics.
    /// `trainingFrom` > 0 keeps the stem and the blocks before it in evaluation mode (a partial fine-tune:
    /// frozen layers compute exactly what they will at inference).
    public func forward(training: Bool, head: Bool, trainingFrom: Int = 0) {
        let e = encoder, c = e.config, p = e.parameters, ws = convWorkspace.pointer
        e.stemConv.forward(input.pointer, batch: batch, height: c.side, width: c.side, output: stemConvOut.pointer,
                           parameters: p, workspace: ws)
        e.stemBN.forward(stemConvOut.pointer, rows: batch * stemSide * stemSide, output: stemOut.pointer,
                         training: training && trainingFrom == 0, parameters: p, cache: stemCache.pointer)
        ReLU.forward(stemOut.pointer, count: stemOut.count, output: stemOut.pointer)
        var x = UnsafePointer(stemOut.pointer)
        for (index, (block, buf)) in zip(e.blocks, blocks).enumerated() {
            let training = training && index >= trainingFrom
            let rows = batch * buf.outSide * buf.outSide
            let count = rows * block.outChannels
            block.conv1.forward(x, batch: batch, height: buf.inSide, width: buf.inSide, output: buf.c1.pointer,
                                parameters: p, workspace: ws)
            block.bn1.forward(buf.c1.pointer, rows: rows, output: buf.n1.pointer, training: training, parameters: p,
                              cache: buf.cache1.pointer)
            ReLU.forward(buf.n1.pointer, count: count, output: buf.n1.pointer)
            block.conv2.forward(buf.n1.pointer, batch: batch, height: buf.outSide, width: buf.outSide,
                                output: buf.c2.pointer, parameters: p, workspace: ws)
            block.bn2.forward(buf.c2.pointer, rows: rows, output: buf.out.pointer, training: training, parameters: p,
                              cache: buf.cache2.pointer)
            let out = buf.out.pointer
            if let down = block.down, let cd = buf.cd, let bd = buf.bd, let cache = buf.cacheD {
                down.conv.forward(x, batch: batch, height: buf.inSide, width: buf.inSide, output: cd.pointer,
                                  parameters: p, workspace: ws)
                down.bn.forward(cd.pointer, rows: rows, output: bd.pointer, training: training, parameters: p,
                                cache: cache.pointer)
                for i in 0..<count { out[i] = max(out[i] + bd.pointer[i], 0) }
            } else {
                for i in 0..<count { out[i] = max(out[i] + x[i], 0) }
            }
            x = UnsafePointer(out)
        }
        let last = blocks.last!
        GlobalAveragePool.forward(x, batch: batch, pixels: last.outSide * last.outSide, channels: c.embeddingDimension,
                                  output: embedding.pointer)
        guard head else { return }
        e.projection1.forward(embedding.pointer, batch: batch, output: hidden.pointer, parameters: p)
        ReLU.forward(hidden.pointer, count: hidden.count, output: hiddenAct.pointer)
        e.projection2.forward(hiddenAct.pointer, batch: batch, output: projection.pointer, parameters: p)
    }

    /// Back-propagates `gradProjection` ([batch, projectionOut]) through a training-mode forward pass
    /// (with head), accumulating every parameter's gradient.
    public func backward(gradProjection: UnsafePointer<Float>) {
        let e = encoder, p = e.parameters
        e.projection2.backward(hiddenAct.pointer, gradOutput: gradProjection, batch: batch,
                               gradInput: gradHidden.pointer, parameters: p)
        ReLU.backward(output: hiddenAct.pointer, gradOutput: gradHidden.pointer, count: gradHidden.count,
                      gradInput: gradHidden.pointer)
        e.projection1.backward(embedding.pointer, gradOutput: gradHidden.pointer, batch: batch,
                               gradInput: gradEmbedding.pointer, parameters: p)
        backwardFromEmbedding(firstBlock: 0)
    }

    /// The first block of the last stage (what a partial fine-tune trains).
    public var lastStageFirstBlock: Int { encoder.blocks.count - encoder.config.blocksPerStage }

    /// Back-propagates `gradient` ([batch, D], of the loss with respect to `embedding`) through a
    /// training-mode forward pass, down to block `firstBlock` only (0: the whole encoder, stem included):
    /// the parameters below it get no gradient.
    public func backward(gradEmbedding gradient: UnsafePointer<Float>, firstBlock: Int) {
        gradEmbedding.pointer.update(from: gradient, count: gradEmbedding.count)
        backwardFromEmbedding(firstBlock: firstBlock)
    }

    func backwardFromEmbedding(firstBlock: Int) {
        let e = encoder, c = e.config, p = e.parameters, ws = convWorkspace.pointer
        let last = blocks.last!
        var gOut = gradA.pointer, gNext = gradB.pointer
        let tmp1 = gradC.pointer, tmp2 = gradD.pointer
        GlobalAveragePool.backward(gradOutput: gradEmbedding.pointer, batch: batch,
                                   pixels: last.outSide * last.outSide, channels: c.embeddingDimension, gradInput: gOut)
        for index in stride(from: blocks.count - 1, through: max(0, firstBlock), by: -1) {
            let block = e.blocks[index], buf = blocks[index]
            let x = index == 0 ? UnsafePointer(stemOut.pointer) : UnsafePointer(blocks[index - 1].out.pointer)
            let rows = batch * buf.outSide * buf.outSide
            let count = rows * block.outChannels
            ReLU.backward(output: buf.out.pointer, gradOutput: gOut, count: count, gradInput: gOut)  // dSum
            block.bn2.backward(buf.c2.pointer, gradOutput: gOut, rows: rows, gradInput: tmp1, parameters: p,
                               cache: buf.cache2.pointer)
            block.conv2.backward(buf.n1.pointer, gradOutput: tmp1, batch: batch, height: buf.outSide,
                                 width: buf.outSide, gradInput: tmp2, parameters: p, workspace: ws)
            ReLU.backward(output: buf.n1.pointer, gradOutput: tmp2, count: count, gradInput: tmp2)
            block.bn1.backward(buf.c1.pointer, gradOutput: tmp2, rows: rows, gradInput: tmp1, parameters: p,
                               cache: buf.cache1.pointer)
            block.conv1.backward(x, gradOutput: tmp1, batch: batch, height: buf.inSide, width: buf.inSide,
                                 gradInput: gNext, parameters: p, workspace: ws)
            let inCount = batch * buf.inSide * buf.inSide * block.inChannels
            if let down = block.down, let cd = buf.cd, let cache = buf.cacheD {
                down.bn.backward(cd.pointer, gradOutput: gOut, rows: rows, gradInput: tmp1, parameters: p,
                                 cache: cache.pointer)
                down.conv.backward(x, gradOutput: tmp1, batch: batch, height: buf.inSide, width: buf.inSide,
                                   gradInput: tmp2, parameters: p, workspace: ws)
                for i in 0..<inCount { gNext[i] += tmp2[i] }
            } else {
                for i in 0..<inCount { gNext[i] += gOut[i] }
            }
            swap(&gOut, &gNext)
        }
        guard firstBlock == 0 else { return }
        let stemRows = batch * stemSide * stemSide
        ReLU.backward(output: stemOut.pointer, gradOutput: gOut, count: stemOut.count, gradInput: gOut)
        e.stemBN.backward(stemConvOut.pointer, gradOutput: gOut, rows: stemRows, gradInput: tmp1, parameters: p,
                          cache: stemCache.pointer)
        e.stemConv.backward(input.pointer, gradOutput: tmp1, batch: batch, height: c.side, width: c.side,
                            gradInput: nil, parameters: p, workspace: ws)
    }
}
