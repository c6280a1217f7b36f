import CKernels

/// EfficientNet-Lite0's activations, caches and scratch for a batch, and its lane code (see `EncoderPass`).
///
/// Kept for the backward pass, per block: the expansion's convolution output and its activation (when
/// the block expands), the depthwise output and its activation, the projection output and the block's
/// output. Four gradient buffers, each the size of the largest of these, carry the gradient down.
final class EfficientNetPass: EncoderPass, @unchecked Sendable {
    let encoder: Encoder
    let network: EfficientNetLite0
    let batch: Int
    let input: FloatBuffer, embedding: FloatBuffer, gradEmbedding: FloatBuffer

    struct BlockBuffers {
        let expanded: FloatBuffer?, expandedAct: FloatBuffer?, cache0: FloatBuffer?
        let depthwise: FloatBuffer, depthwiseAct: FloatBuffer, cache1: FloatBuffer
        let projected: FloatBuffer, out: FloatBuffer, cache2: FloatBuffer
    }

    /// The input after `inputScale`/`inputShift`.
    let normalised: FloatBuffer
    let stemConvOut: FloatBuffer, stemOut: FloatBuffer, stemCache: FloatBuffer
    let blocks: [BlockBuffers]
    let headConvOut: FloatBuffer, headOut: FloatBuffer, headCache: FloatBuffer
    /// The gradient buffers, allocated by the first backward pass (an embedding run never needs them).
    private var scratch: [FloatBuffer] = []
    var gradA: FloatBuffer { scratch[0] }
    var gradB: FloatBuffer { scratch[1] }
    var gradC: FloatBuffer { scratch[2] }
    var gradD: FloatBuffer { scratch[3] }
    /// Floats of each gradient buffer per image: the largest activation of one image.
    let scratchPerImage: Int
    /// One im2col workspace per lane (the stem's 3×3 convolution; the others are 1×1 or depthwise).
    let convWorkspaces: [FloatBuffer]

    init(
        encoder: Encoder, network: EfficientNetLite0, batch: Int, lanes: Int, input: FloatBuffer,
        embedding: FloatBuffer, gradEmbedding: FloatBuffer
    ) {
        self.encoder = encoder
        self.network = network
        self.batch = batch
        self.input = input
        self.embedding = embedding
        self.gradEmbedding = gradEmbedding
        let config = encoder.config
        normalised = FloatBuffer(count: input.count)
        let stemCount = batch * network.stemSide * network.stemSide * EfficientNetLite0.stemChannels
        stemConvOut = FloatBuffer(count: stemCount)
        stemOut = FloatBuffer(count: stemCount)
        stemCache = FloatBuffer(count: network.stemBN.cacheCount)
        var largest = stemCount
        blocks = network.blocks.map { block in
            let inPixels = batch * block.inSide * block.inSide, outPixels = batch * block.outSide * block.outSide
            largest = max(
                largest, inPixels * block.midChannels, inPixels * block.inChannels,
                outPixels * block.midChannels, outPixels * block.outChannels)
            let expands = block.expand != nil
            return BlockBuffers(
                expanded: expands ? FloatBuffer(count: inPixels * block.midChannels) : nil,
                expandedAct: expands ? FloatBuffer(count: inPixels * block.midChannels) : nil,
                cache0: block.expand.map { FloatBuffer(count: $0.bn.cacheCount) },
                depthwise: FloatBuffer(count: outPixels * block.midChannels),
                depthwiseAct: FloatBuffer(count: outPixels * block.midChannels),
                cache1: FloatBuffer(count: block.bn1.cacheCount),
                projected: FloatBuffer(count: outPixels * block.outChannels),
                out: FloatBuffer(count: outPixels * block.outChannels),
                cache2: FloatBuffer(count: block.bn2.cacheCount))
        }
        let headCount = batch * network.headSide * network.headSide * EfficientNetLite0.headChannels
        largest = max(largest, headCount)
        headConvOut = FloatBuffer(count: headCount)
        headOut = FloatBuffer(count: headCount)
        headCache = FloatBuffer(count: network.headBN.cacheCount)
        scratchPerImage = largest / batch
        let shard = (batch + lanes - 1) / lanes
        let stemWorkspace = network.stemConv.workspaceCount(batch: shard, height: config.side, width: config.side)
        convWorkspaces = (0..<lanes).map { _ in FloatBuffer(count: stemWorkspace) }
    }

    var lastStageFirstBlock: Int { network.stageStarts.last! }

    var forwardFloats: Int {
        let perBlock = blocks.reduce(0) { total, b in
            total + (b.expanded?.count ?? 0) * 2 + b.depthwise.count * 2 + b.projected.count * 2
        }
        return normalised.count + 2 * stemConvOut.count + perBlock + 2 * headConvOut.count
    }

    func prepareBackward() {
        if scratch.isEmpty { scratch = (0..<4).map { _ in FloatBuffer(count: scratchPerImage * batch) } }
    }
    var widestNorm: Int { EfficientNetLite0.headChannels }

    func forward(lane: LaneContext, training: Bool, trainingFrom: Int) {
        let net = network, c = encoder.config, p = encoder.parameters
        let images = lane.shard(of: batch), n = images.count, first = images.lowerBound
        let inPerImage = c.side * c.side * c.inChannels
        let source = input.pointer + first * inPerImage, normal = normalised.pointer + first * inPerImage
        let scale = c.inputScale, shift = c.inputShift
        for i in 0..<(n * inPerImage) { normal[i] = source[i] * scale + shift }

        let stemPixels = net.stemSide * net.stemSide, stemOffset = first * stemPixels * EfficientNetLite0.stemChannels
        net.stemConv.forward(
            normal, batch: n, height: c.side, width: c.side, output: stemConvOut.pointer + stemOffset,
            parameters: p, workspace: convWorkspaces[lane.lane].pointer)
        net.stemBN.forward(
            stemConvOut.pointer + stemOffset, rows: n * stemPixels, totalRows: batch * stemPixels,
            output: stemOut.pointer + stemOffset, training: training && trainingFrom == 0,
            activation: .relu6, parameters: p, cache: stemCache.pointer, lane: lane)
        var x = UnsafePointer(stemOut.pointer + stemOffset)
        for index in net.blocks.indices {
            x = forward(block: index, input: x, lane: lane, training: training && index >= trainingFrom)
        }
        let headPixels = net.headSide * net.headSide, d = EfficientNetLite0.headChannels
        let headOffset = first * headPixels * d
        net.headConv.forward(
            x, batch: n, height: net.headSide, width: net.headSide,
            output: headConvOut.pointer + headOffset, parameters: p, workspace: convWorkspaces[lane.lane].pointer)
        net.headBN.forward(
            headConvOut.pointer + headOffset, rows: n * headPixels, totalRows: batch * headPixels,
            output: headOut.pointer + headOffset, training: training, activation: .relu6,
            parameters: p, cache: headCache.pointer, lane: lane)
        GlobalAveragePool.forward(
            headOut.pointer + headOffset, batch: n, pixels: headPixels, channels: d,
            output: embedding.pointer + first * d)
    }

    /// One block's forward on the lane's images; returns where its output starts.
    private func forward(
        block index: Int, input x: UnsafePointer<Float>, lane: LaneContext,
        training: Bool
    ) -> UnsafePointer<Float> {
        let block = network.blocks[index], buf = blocks[index], p = encoder.parameters
        let images = lane.shard(of: batch), n = images.count, first = images.lowerBound
        let inPixels = block.inSide * block.inSide, outPixels = block.outSide * block.outSide
        let midIn = first * inPixels * block.midChannels, midOut = first * outPixels * block.midChannels
        let outOffset = first * outPixels * block.outChannels
        var depthwiseInput = x
        if let expand = block.expand, let e = buf.expanded, let ea = buf.expandedAct, let cache = buf.cache0 {
            expand.conv.forward(
                x, batch: n, height: block.inSide, width: block.inSide, output: e.pointer + midIn,
                parameters: p, workspace: convWorkspaces[lane.lane].pointer)
            expand.bn.forward(
                e.pointer + midIn, rows: n * inPixels, totalRows: batch * inPixels,
                output: ea.pointer + midIn, training: training, activation: .relu6, parameters: p,
                cache: cache.pointer, lane: lane)
            depthwiseInput = UnsafePointer(ea.pointer + midIn)
        }
        block.depthwise.forward(
            depthwiseInput, batch: n, height: block.inSide, width: block.inSide,
            output: buf.depthwise.pointer + midOut, parameters: p)
        block.bn1.forward(
            buf.depthwise.pointer + midOut, rows: n * outPixels, totalRows: batch * outPixels,
            output: buf.depthwiseAct.pointer + midOut, training: training, activation: .relu6,
            parameters: p, cache: buf.cache1.pointer, lane: lane)
        block.project.forward(
            buf.depthwiseAct.pointer + midOut, batch: n, height: block.outSide, width: block.outSide,
            output: buf.projected.pointer + outOffset, parameters: p, workspace: convWorkspaces[lane.lane].pointer)
        let out = buf.out.pointer + outOffset
        block.bn2.forward(
            buf.projected.pointer + outOffset, rows: n * outPixels, totalRows: batch * outPixels,
            output: out, training: training, activation: .none, parameters: p,
            cache: buf.cache2.pointer, lane: lane)
        if block.residual { pk_add(out, x, n * outPixels * block.outChannels) }
        return UnsafePointer(out)
    }

    func backward(lane: LaneContext, firstBlock: Int, gradients grads: UnsafeMutablePointer<Float>) {
        let net = network, c = encoder.config, p = encoder.parameters
        let images = lane.shard(of: batch), n = images.count, first = images.lowerBound
        func at(_ buffer: FloatBuffer) -> UnsafeMutablePointer<Float> { buffer.pointer + first * scratchPerImage }
        let headPixels = net.headSide * net.headSide, d = EfficientNetLite0.headChannels
        let headOffset = first * headPixels * d
        let last = net.blocks.count - 1
        GlobalAveragePool.backward(
            gradOutput: gradEmbedding.pointer + first * d, batch: n, pixels: headPixels,
            channels: d, gradInput: at(gradC))
        net.headBN.backward(
            headConvOut.pointer + headOffset, gradOutput: at(gradC),
            reluOutput: headOut.pointer + headOffset, activation: .relu6, rows: n * headPixels,
            totalRows: batch * headPixels, gradInput: at(gradD), parameters: p,
            cache: headCache.pointer, lane: lane)
        let lastOut = UnsafePointer(blocks[last].out.pointer) + first * headPixels * net.blocks[last].outChannels
        var gOut = gradA, gNext = gradB
        net.headConv.backward(
            lastOut, gradOutput: at(gradD), batch: n, height: net.headSide,
            width: net.headSide, gradInput: at(gOut),
            parameters: p, workspace: convWorkspaces[lane.lane].pointer, gradients: grads)
        for index in stride(from: last, through: max(0, firstBlock), by: -1) {
            backward(
                block: index, gradOutput: gOut, gradInput: index > firstBlock || firstBlock == 0 ? gNext : nil,
                lane: lane, gradients: grads)
            swap(&gOut, &gNext)
        }
        guard firstBlock == 0 else { return }
        let stemPixels = net.stemSide * net.stemSide, stemPerImage = stemPixels * EfficientNetLite0.stemChannels
        let offset = first * stemPerImage
        net.stemBN.backward(
            stemConvOut.pointer + offset, gradOutput: at(gOut),
            reluOutput: stemOut.pointer + offset, activation: .relu6, rows: n * stemPixels,
            totalRows: batch * stemPixels, gradInput: at(gradC), parameters: p,
            cache: stemCache.pointer, lane: lane)
        net.stemConv.backward(
            normalised.pointer + first * c.side * c.side * c.inChannels,
            gradOutput: at(gradC), batch: n, height: c.side, width: c.side,
            gradInput: nil, parameters: p, workspace: convWorkspaces[lane.lane].pointer,
            gradients: grads)
    }

    /// One block's backward on the lane's images: the gradient of its output is in `gradOutput`'s rows
    /// of these images; its input's gradient goes to `gradInput`'s (nil: not needed, the block is the
    /// lowest one trained).
    private func backward(
        block index: Int, gradOutput gOutBuffer: FloatBuffer, gradInput gInBuffer: FloatBuffer?,
        lane: LaneContext, gradients grads: UnsafeMutablePointer<Float>
    ) {
        let block = network.blocks[index], buf = blocks[index], p = encoder.parameters
        let images = lane.shard(of: batch), n = images.count, first = images.lowerBound
        let inPixels = block.inSide * block.inSide, outPixels = block.outSide * block.outSide
        let inPerImage = inPixels * block.inChannels, outPerImage = outPixels * block.outChannels
        let midIn = first * inPixels * block.midChannels, midOut = first * outPixels * block.midChannels
        let x = UnsafePointer(index == 0 ? stemOut.pointer : blocks[index - 1].out.pointer) + first * inPerImage
        // Every lane's rows of the scratch buffers start at its first image × `scratchPerImage`, whatever
        // they hold, so that no two lanes ever touch the same floats.
        let gO = gOutBuffer.pointer + first * scratchPerImage
        let gN = gInBuffer.map { $0.pointer + first * scratchPerImage }
        let t1 = gradC.pointer + first * scratchPerImage, t2 = gradD.pointer + first * scratchPerImage
        let side = block.inSide, outSide = block.outSide
        block.bn2.backward(
            buf.projected.pointer + first * outPerImage, gradOutput: gO, reluOutput: nil,
            activation: .none, rows: n * outPixels, totalRows: batch * outPixels, gradInput: t1,
            parameters: p, cache: buf.cache2.pointer, lane: lane)
        block.project.backward(
            buf.depthwiseAct.pointer + midOut, gradOutput: t1, batch: n, height: outSide,
            width: outSide, gradInput: t2, parameters: p, workspace: convWorkspaces[lane.lane].pointer, gradients: grads
        )
        block.bn1.backward(
            buf.depthwise.pointer + midOut, gradOutput: t2, reluOutput: buf.depthwiseAct.pointer + midOut,
            activation: .relu6, rows: n * outPixels, totalRows: batch * outPixels, gradInput: t1,
            parameters: p, cache: buf.cache1.pointer, lane: lane)
        if let expand = block.expand, let e = buf.expanded, let ea = buf.expandedAct, let cache = buf.cache0 {
            block.depthwise.backward(
                ea.pointer + midIn, gradOutput: t1, batch: n, height: side, width: side,
                gradInput: t2, parameters: p, gradients: grads)
            expand.bn.backward(
                e.pointer + midIn, gradOutput: t2, reluOutput: ea.pointer + midIn, activation: .relu6,
                rows: n * inPixels, totalRows: batch * inPixels, gradInput: t1, parameters: p,
                cache: cache.pointer, lane: lane)
            expand.conv.backward(
                x, gradOutput: t1, batch: n, height: side, width: side, gradInput: gN, parameters: p,
                workspace: convWorkspaces[lane.lane].pointer, gradients: grads)
        } else {
            block.depthwise.backward(
                x, gradOutput: t1, batch: n, height: side, width: side, gradInput: gN,
                parameters: p, gradients: grads)
        }
        if block.residual, let gN { pk_add(gN, gO, n * inPerImage) }
    }
}
