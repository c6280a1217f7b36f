/// The shape of plankterm's encoder: a small ResNet of BasicBlocks for C-channel S×S input, with a
/// projection head used only by the SimCLR loss.
///
/// Module and tensor names follow the PyTorch definition in `Scripts/simclr_torch.py` (and
/// `../shared/bench/bench_simclr_torch.py`'s `custom` model), so weights move between the two.
public struct EncoderConfig: Sendable, Codable, Equatable {
    /// The network: the small ResNet plankterm trains from scratch, or EfficientNet-Lite0 (started from
    /// ImageNet weights). Files written before there was a choice hold a ResNet.
    public enum Architecture: String, Sendable, Codable, Equatable {
        case resnet
        case efficientNetLite0 = "efficientnet-lite0"
    }

    public var architecture = Architecture.resnet
    public var inChannels = 1
    public var side = 64
    public var widths = [32, 64, 128, 256]
    public var strides = [1, 2, 2, 2]
    public var blocksPerStage = 1
    public var stemStride = 2
    /// Hidden width of the projection MLP (h → hidden → projectionOut); 0 means "the embedding width".
    public var projectionHidden = 0
    public var projectionOut = 128
    /// The input the network sees is `pixel · inputScale + inputShift` for pixels in [0, 1] (the ImageNet
    /// EfficientNet-Lite weights expect (255·p − 127) / 128).
    public var inputScale: Float = 1
    public var inputShift: Float = 0
    /// How many orientations of each image an embedding averages (1, 2, 4 or 8; see `Orientation`):
    /// plankton has no up, so the pooled features of its mirror images and quarter turns describe the same
    /// organism. Training sees one view at a time; this is only how `plankterm embed` uses the encoder.
    public var orientations = 1

    public init() {}

    /// EfficientNet-Lite0 for `channels`-channel `side`×`side` input, normalised as its ImageNet weights expect.
    public static func efficientNetLite0(side: Int, channels: Int = 1) -> EncoderConfig {
        var c = EncoderConfig()
        c.architecture = .efficientNetLite0
        c.side = side
        c.inChannels = channels
        c.inputScale = 255 / 128
        c.inputShift = -127 / 128
        return c
    }

    /// The embedding width (the last stage's channels; EfficientNet-Lite0's 1×1 head's).
    public var embeddingDimension: Int {
        architecture == .resnet ? (widths.last ?? 0) : EfficientNetLite0.headChannels
    }
    var hidden: Int { projectionHidden > 0 ? projectionHidden : embeddingDimension }

    enum CodingKeys: String, CodingKey {
        case architecture, inChannels, side, widths, strides, blocksPerStage, stemStride, projectionHidden
        case projectionOut, inputScale, inputShift, orientations
    }

    /// Reads a configuration; keys a file predates take their defaults (a file from before the
    /// architecture choice holds a ResNet with unscaled input).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = EncoderConfig()
        architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? d.architecture
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        side = try c.decodeIfPresent(Int.self, forKey: .side) ?? d.side
        widths = try c.decodeIfPresent([Int].self, forKey: .widths) ?? d.widths
        strides = try c.decodeIfPresent([Int].self, forKey: .strides) ?? d.strides
        blocksPerStage = try c.decodeIfPresent(Int.self, forKey: .blocksPerStage) ?? d.blocksPerStage
        stemStride = try c.decodeIfPresent(Int.self, forKey: .stemStride) ?? d.stemStride
        projectionHidden = try c.decodeIfPresent(Int.self, forKey: .projectionHidden) ?? d.projectionHidden
        projectionOut = try c.decodeIfPresent(Int.self, forKey: .projectionOut) ?? d.projectionOut
        inputScale = try c.decodeIfPresent(Float.self, forKey: .inputScale) ?? d.inputScale
        inputShift = try c.decodeIfPresent(Float.self, forKey: .inputShift) ?? d.inputShift
        orientations = try c.decodeIfPresent(Int.self, forKey: .orientations) ?? d.orientations
        guard Orientation.counts.contains(orientations) else {
            throw DecodingError.dataCorruptedError(
                forKey: .orientations, in: c,
                debugDescription:
                    "orientations must be one of \(Orientation.counts.map(String.init).joined(separator: ", ")), not \(orientations)"
            )
        }
    }
}

/// One BasicBlock: conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the identity or a 1×1
/// conv(stride) → BN shortcut, then ReLU of the sum.
struct BasicBlock: Sendable {
    let conv1: Conv2d, bn1: BatchNorm, conv2: Conv2d, bn2: BatchNorm
    let down: (conv: Conv2d, bn: BatchNorm)?
    let inChannels: Int, outChannels: Int, stride: Int

    init(_ name: String, in cin: Int, out cout: Int, stride: Int, parameters: ParameterSet) {
        conv1 = Conv2d(
            name + ".conv1", in: cin, out: cout, kernel: 3, stride: stride, padding: 1, parameters: parameters)
        bn1 = BatchNorm(name + ".bn1", channels: cout, parameters: parameters)
        conv2 = Conv2d(name + ".conv2", in: cout, out: cout, kernel: 3, stride: 1, padding: 1, parameters: parameters)
        bn2 = BatchNorm(name + ".bn2", channels: cout, parameters: parameters)
        if stride != 1 || cin != cout {
            down = (
                Conv2d(name + ".down.0", in: cin, out: cout, kernel: 1, stride: stride, parameters: parameters),
                BatchNorm(name + ".down.1", channels: cout, parameters: parameters)
            )
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
    /// The ResNet's blocks (empty for EfficientNet-Lite0).
    let blocks: [BasicBlock]
    /// EfficientNet-Lite0's blocks and head (nil for the ResNet).
    let mobile: EfficientNetLite0?
    let projection1: Linear
    let projection2: Linear

    /// Builds the layers and initialises the parameters from `seed`.
    public init(_ config: EncoderConfig, seed: UInt64) {
        self.config = config
        var cin: Int
        switch config.architecture {
        case .resnet:
            precondition(config.widths.count == config.strides.count && !config.widths.isEmpty, "widths and strides")
            stemConv = Conv2d(
                "stem.0", in: config.inChannels, out: config.widths[0], kernel: 3,
                stride: config.stemStride, padding: 1, parameters: parameters)
            stemBN = BatchNorm("stem.1", channels: config.widths[0], parameters: parameters)
            var blocks: [BasicBlock] = []
            cin = config.widths[0]
            for (width, stride) in zip(config.widths, config.strides) {
                for b in 0..<config.blocksPerStage {
                    blocks.append(
                        BasicBlock(
                            "layers.\(blocks.count)", in: cin, out: width, stride: b == 0 ? stride : 1,
                            parameters: parameters))
                    cin = width
                }
            }
            self.blocks = blocks
            mobile = nil
        case .efficientNetLite0:
            let net = EfficientNetLite0(config, parameters: parameters)
            stemConv = net.stemConv
            stemBN = net.stemBN
            blocks = []
            mobile = net
            cin = EfficientNetLite0.headChannels
        }
        projection1 = Linear("proj.0", in: cin, out: config.hidden, parameters: parameters)
        projection2 = Linear("proj.2", in: config.hidden, out: config.projectionOut, parameters: parameters)
        parameters.allocate(seed: seed)
    }

    /// Whether the tensor `name` belongs to what a partial fine-tune trains: the last stage's blocks and,
    /// for EfficientNet-Lite0, the 1×1 head after them.
    public func isInLastStage(_ name: String) -> Bool {
        if let mobile {
            let first = mobile.stageStarts.last!
            return (first..<mobile.blocks.count).contains { name.hasPrefix("_blocks.\($0).") }
                || name.hasPrefix("_conv_head.") || name.hasPrefix("_bn1.")
        }
        let first = blocks.count - config.blocksPerStage
        return (first..<blocks.count).contains { name.hasPrefix("layers.\($0).") }
    }

    /// Parameters of the encoder proper (without the projection head).
    public var encoderParameterCount: Int {
        parameters.parameters.filter { !$0.name.hasPrefix("proj.") }.reduce(0) { $0 + $1.count }
    }

    /// Multiply-accumulates × 2 of one forward pass of the encoder (no head) on one image.
    public var forwardFLOPs: Int {
        if let mobile { return mobile.forwardFLOPs }
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
