/// One EfficientNet-Lite inverted-residual block (MBConv without squeeze-excite): a 1×1 expansion to
/// `expand`× the channels → BN → ReLU6 (skipped when `expand` is 1), a k×k depthwise convolution → BN →
/// ReLU6, a 1×1 projection → BN, plus the input when stride is 1 and the channels match.
///
/// Padding is TensorFlow's "same" for the block's input size (the ImageNet weights were trained with it).
/// Names follow `efficientnet_lite_pytorch` (`_blocks.i._expand_conv`, `_bn0`, `_depthwise_conv`, `_bn1`,
/// `_project_conv`, `_bn2`), so its state dict loads after the layout conversion.
struct MBConvBlock: Sendable {
    let expand: (conv: Conv2d, bn: BatchNorm)?
    let depthwise: DepthwiseConv2d, bn1: BatchNorm
    let project: Conv2d, bn2: BatchNorm
    let inChannels: Int, midChannels: Int, outChannels: Int
    let inSide: Int, outSide: Int

    var residual: Bool { inSide == outSide && inChannels == outChannels && depthwise.stride == 1 }

    init(
        _ name: String, in cin: Int, out cout: Int, expand ratio: Int, kernel: Int, stride: Int, side: Int,
        parameters: ParameterSet
    ) {
        let mid = cin * ratio
        expand =
            ratio == 1
            ? nil
            : (
                Conv2d(name + "._expand_conv", in: cin, out: mid, kernel: 1, parameters: parameters),
                EfficientNetLite0.batchNorm(name + "._bn0", mid, parameters)
            )
        let (before, after) = Conv2d.samePadding(size: side, kernel: kernel, stride: stride)
        depthwise = DepthwiseConv2d(
            name + "._depthwise_conv", channels: mid, kernel: kernel, stride: stride,
            padding: before, paddingAfter: after, parameters: parameters)
        bn1 = EfficientNetLite0.batchNorm(name + "._bn1", mid, parameters)
        project = Conv2d(name + "._project_conv", in: mid, out: cout, kernel: 1, parameters: parameters)
        bn2 = EfficientNetLite0.batchNorm(name + "._bn2", cout, parameters)
        inChannels = cin
        midChannels = mid
        outChannels = cout
        inSide = side
        outSide = depthwise.outputSize(height: side, width: side).height
    }
}

/// EfficientNet-Lite0 without its classifier: stem 3×3/2 to 32 channels → BN → ReLU6, sixteen MBConv
/// blocks in seven stages, a 1×1 head to 1,280 channels → BN → ReLU6; the encoder pools it globally.
/// Tensor names are those of `efficientnet_lite_pytorch` (`_conv_stem`, `_bn0`, `_blocks.i.…`,
/// `_conv_head`, `_bn1`).
struct EfficientNetLite0: Sendable {
    /// (expand ratio, kernel, stride, output channels, repeats) of each stage.
    static let stages = [
        (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
        (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)
    ]
    static let stemChannels = 32
    static let headChannels = 1280

    let stemConv: Conv2d, stemBN: BatchNorm
    let blocks: [MBConvBlock]
    /// Index in `blocks` of each stage's first block.
    let stageStarts: [Int]
    let headConv: Conv2d, headBN: BatchNorm
    let stemSide: Int
    var headSide: Int { blocks.last!.outSide }

    /// BatchNorm as the ImageNet weights were trained with: ε = 10⁻³.
    static func batchNorm(_ name: String, _ channels: Int, _ parameters: ParameterSet) -> BatchNorm {
        var bn = BatchNorm(name, channels: channels, parameters: parameters)
        bn.epsilon = 1e-3
        return bn
    }

    init(_ config: EncoderConfig, parameters: ParameterSet) {
        let (before, after) = Conv2d.samePadding(size: config.side, kernel: 3, stride: 2)
        stemConv = Conv2d(
            "_conv_stem", in: config.inChannels, out: Self.stemChannels, kernel: 3, stride: 2,
            padding: before, paddingAfter: after, parameters: parameters)
        stemBN = Self.batchNorm("_bn0", Self.stemChannels, parameters)
        stemSide = stemConv.outputSize(height: config.side, width: config.side).height
        var blocks: [MBConvBlock] = [], starts: [Int] = []
        var cin = Self.stemChannels, side = stemSide
        for (ratio, kernel, stride, cout, repeats) in Self.stages {
            starts.append(blocks.count)
            for r in 0..<repeats {
                let block = MBConvBlock(
                    "_blocks.\(blocks.count)", in: cin, out: cout, expand: ratio, kernel: kernel,
                    stride: r == 0 ? stride : 1, side: side, parameters: parameters)
                blocks.append(block)
                cin = cout
                side = block.outSide
            }
        }
        self.blocks = blocks
        stageStarts = starts
        headConv = Conv2d("_conv_head", in: cin, out: Self.headChannels, kernel: 1, parameters: parameters)
        headBN = Self.batchNorm("_bn1", Self.headChannels, parameters)
    }

    /// Multiply-accumulates × 2 of one forward pass on one image (convolutions only).
    var forwardFLOPs: Int {
        var flops = 2 * stemSide * stemSide * 9 * stemConv.inChannels * Self.stemChannels
        for b in blocks {
            if b.expand != nil { flops += 2 * b.inSide * b.inSide * b.inChannels * b.midChannels }
            flops += 2 * b.outSide * b.outSide * b.depthwise.kernel * b.depthwise.kernel * b.midChannels
            flops += 2 * b.outSide * b.outSide * b.midChannels * b.outChannels
        }
        return flops + 2 * headSide * headSide * headConv.inChannels * Self.headChannels
    }
}
