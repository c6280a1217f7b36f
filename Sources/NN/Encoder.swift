/// The shape of plankterm's encoder: a small ResNet of BasicBlocks for C-channel S×S input, with a
/// projection head used only by the SimCLR loss.
///
/// Module and tensor names follow the PyTorch definition in `Scripts/simclr_torch.py` (and
/// `../shared/bench/bench_simclr_torch.py`'s `custom` model), so weights move between the two.
public struct EncoderConfig: Sendable, Codable, Equatable {
    public var inChannels = 1
    public var side = 64
    public var widths = [32, 64, 128, 256]
    public var strides = [1, 2, 2, 2]
    public var blocksPerStage = 1
    public var stemStride = 2
    /// Hidden width of the projection MLP (h → hidden → projectionOut); 0 means "the embedding width".
    public var projectionHidden = 0
    public var projectionOut = 128

    public init() {}

    /// The embedding width (the last stage's channels).
    public var embeddingDimension: Int { widths.last ?? 0 }
    var hidden: Int { projectionHidden > 0 ? projectionHidden : embeddingDimension }
}

/// One BasicBlock: conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the identity or a 1×1
/// conv(stride) → BN shortcut, then ReLU of the sum.
struct BasicBlock: Sendable {
    let conv1: Conv2d, bn1: BatchNorm, conv2: Conv2d, bn2: BatchNorm
    let down: (conv: Conv2d, bn: BatchNorm)?
    let inChannels: Int, outChannels: Int, stride: Int

    init(_ name: String, in cin: Int, out cout: Int, stride: Int, parameters: ParameterSet) {
        conv1 = Conv2d(name + ".conv1", in: cin, out: cout, kernel: 3, stride: stride, padding: 1, parameters: parameters)
        bn1 = BatchNorm(name + ".bn1", channels: cout, parameters: parameters)
        conv2 = Conv2d(name + ".conv2", in: cout, out: cout, kernel: 3, stride: 1, padding: 1, parameters: parameters)
        bn2 = BatchNorm(name + ".bn2", channels: cout, parameters: parameters)
        if stride != 1 || cin != cout {
            down = (Conv2d(name + ".down.0", in: cin, out: cout, kernel: 1, stride: stride, parameters: parameters),
                    BatchNorm(name + ".down.1", channels: cout, parameters: parameters))
        } else {
            down = nil
        }
        inChannels = cin
        outChannels = cout
        self.stride = stride
    }
}

/// The encoder's layers and parameters. Activations live in an `EncoderWorkspace` sized for a batch.
public final class Encoder: @unchecked Sendable {
    public let config: EncoderConfig
    public let parameters = ParameterSet()
    let stemConv: Conv2d
    let stemBN: BatchNorm
    let blocks: [BasicBlock]
    let projection1: Linear
    let projection2: Linear

    /// Builds the layers and initialises the parameters from `seed`.
    public init(_ config: EncoderConfig, seed: UInt64) {
        precondition(config.widths.count == config.strides.count && !config.widths.isEmpty, "widths and strides")
        self.config = config
        stemConv = Conv2d("stem.0", in: config.inChannels, out: config.widths[0], kernel: 3,
                          stride: config.stemStride, padding: 1, parameters: parameters)
        stemBN = BatchNorm("stem.1", channels: config.widths[0], parameters: parameters)
        var blocks: [BasicBlock] = []
        var cin = config.widths[0]
        for (width, stride) in zip(config.widths, config.strides) {
            for b in 0..<config.blocksPerStage {
                blocks.append(BasicBlock("layers.\(blocks.count)", in: cin, out: width, stride: b == 0 ? stride : 1,
                                         parameters: parameters))
                cin = width
            }
        }
        self.blocks = blocks
        projection1 = Linear("proj.0", in: cin, out: config.hidden, parameters: parameters)
        projection2 = Linear("proj.2", in: config.hidden, out: config.projectionOut, parameters: parameters)
        parameters.allocate(seed: seed)
    }

    /// Parameters of the encoder proper (without the projection head).
    public var encoderParameterCount: Int {
        parameters.parameters.filter { !$0.name.hasPrefix("proj.") }.reduce(0) { $0 + $1.count }
    }

    /// Multiply-accumulates × 2 of one forward pass of the encoder (no head) on one image.
    public var forwardFLOPs: Int {
        var flops = 0
        var side = config.side
        func conv(_ c: Conv2d) {
            let out = c.outputSize(height: side, width: side).height
            flops += 2 * out * out * c.kernel * c.kernel * c.inChannels * c.outChannels
        }
        conv(stemConv)
        side = stemConv.outputSize(height: side, width: side).height
        for block in blocks {
            conv(block.conv1)
            if let down = block.down { conv(down.conv) }
            side = block.conv1.outputSize(height: side, width: side).height
            conv(block.conv2)
        }
        return flops
    }
}
