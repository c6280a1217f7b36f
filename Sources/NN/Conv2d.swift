import CKernels
import Foundation
import Linalg

/// 2-D convolution without bias (ResNet convolutions are followed by BatchNorm), NHWC layout.
///
/// Shapes: input [N, H, W, Cin] → output [N, Ho, Wo, Cout], Ho = (H + 2p − k) / s + 1.
/// Weight [k, k, Cin, Cout] (row-major, so that it is the GEMM's right-hand matrix [k·k·Cin, Cout]);
/// PyTorch's [Cout, Cin, k, k] is converted on import. Implementation: im2col into a workspace, one
/// `sgemm` per chunk of images (chunks keep the GEMM's rows ≤ `rowsPerChunk`, where OpenBLAS is
/// fastest and the workspace stays small); a 1×1 stride-1 convolution is a plain GEMM on the input.
public struct Conv2d: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    /// Zero padding above and left of the input.
    public let padding: Int
    /// Zero padding below and right (TensorFlow's "same" padding puts the odd pixel here).
    public let paddingAfter: Int
    public let weight: ParameterView
    /// Upper bound on GEMM rows (output pixels) per chunk.
    public var rowsPerChunk = Conv2d.defaultRowsPerChunk
    /// The chunk size new convolutions get: `standardRowsPerChunk` unless the program set another with
    /// `setDefaultRowsPerChunk` (the executable takes PLANKTERM_CONV_ROWS, for tuning).
    public static var defaultRowsPerChunk: Int { chunkDefault.lock.withLock { chunkDefault.rows } }
    /// 2048 rows, where OpenBLAS is fastest.
    public static let standardRowsPerChunk = 2048

    /// Sets the chunk size of convolutions built from now on; call it before building an encoder.
    public static func setDefaultRowsPerChunk(_ rows: Int) {
        chunkDefault.lock.withLock { chunkDefault.rows = rows }
    }

    /// A convolution padded by `padding` on every side, or by `padding` above/left and `paddingAfter`
    /// below/right.
    public init(
        _ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1,
        padding: Int = 0, paddingAfter: Int? = nil, parameters: ParameterSet
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.paddingAfter = paddingAfter ?? padding
        // PyTorch's default for nn.Conv2d (kaiming_uniform_ with a = √5): U(±1/√fan_in). With Adam every
        // weight moves about lr per step whatever its size, so a larger start (He's √(6/fan_in), 2.45×)
        // trains the convolutions as if at a lower learning rate; it cost ~0.02 of linear-probe accuracy.
        let fanIn = kernel * kernel * inChannels
        weight = parameters.parameter(
            name + ".weight", shape: [kernel, kernel, inChannels, outChannels],
            initializer: .uniform(bound: 1 / Float(fanIn).squareRoot()))
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (
            (height + padding + paddingAfter - kernel) / stride + 1,
            (width + padding + paddingAfter - kernel) / stride + 1
        )
    }

    /// TensorFlow's "same" padding for a `kernel` with `stride` on `size` pixels: the output has
    /// ⌈size / stride⌉ pixels and the padding it needs is split with the odd pixel after.
    public static func samePadding(size: Int, kernel: Int, stride: Int) -> (before: Int, after: Int) {
        let out = (size + stride - 1) / stride
        let total = max((out - 1) * stride + kernel - size, 0)
        return (total / 2, total - total / 2)
    }

    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 && paddingAfter == 0 }
    var columns: Int { kernel * kernel * inChannels }

    /// Images per GEMM chunk at this input size.
    func chunkImages(batch: Int, height: Int, width: Int) -> Int {
        let (ho, wo) = outputSize(height: height, width: width)
        return max(1, min(batch, rowsPerChunk / max(1, ho * wo)))
    }

    /// Floats of workspace that `forward` and `backward` need for this batch and input size.
    public func workspaceCount(batch: Int, height: Int, width: Int) -> Int {
        if isPointwise { return 0 }
        let (ho, wo) = outputSize(height: height, width: width)
        return chunkImages(batch: batch, height: height, width: width) * ho * wo * columns
    }

    /// output = conv(input).
    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
        output: UnsafeMutablePointer<Float>, parameters: ParameterSet,
        workspace: UnsafeMutablePointer<Float>
    ) {
        guard batch > 0 else { return }
        let (ho, wo) = outputSize(height: height, width: width)
        let w = UnsafePointer(parameters.value(weight))
        if isPointwise {
            Gemm.sgemm(m: batch * height * width, n: outChannels, k: inChannels, a: input, b: w, c: output)
            return
        }
        let chunk = chunkImages(batch: batch, height: height, width: width)
        var first = 0
        while first < batch {
            let count = min(chunk, batch - first)
            im2col(
                input + first * height * width * inChannels, images: count, height: height, width: width,
                into: workspace)
            Gemm.sgemm(
                m: count * ho * wo, n: outChannels, k: columns, a: workspace, b: w,
                c: output + first * ho * wo * outChannels)
            first += count
        }
    }

    /// Accumulates the weight gradient and, if `gradInput` is given, writes the input gradient.
    /// `gradients` replaces the parameter set's gradient buffer (same layout): a lane's private one.
    public func backward(
        _ input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, batch: Int,
        height: Int, width: Int, gradInput: UnsafeMutablePointer<Float>?,
        parameters: ParameterSet, workspace: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>? = nil
    ) {
        guard batch > 0 else { return }
        let (ho, wo) = outputSize(height: height, width: width)
        let w = UnsafePointer(parameters.value(weight))
        let gw = gradients.map { $0 + weight.offset } ?? parameters.gradient(weight)
        if isPointwise {
            let rows = batch * height * width
            Gemm.sgemm(
                m: inChannels, n: outChannels, k: rows, a: input, transA: true, b: gradOutput, c: gw,
                beta: 1)
            if let gradInput {
                Gemm.sgemm(m: rows, n: inChannels, k: outChannels, a: gradOutput, b: w, transB: true, c: gradInput)
            }
            return
        }
        let chunk = chunkImages(batch: batch, height: height, width: width)
        var first = 0
        while first < batch {
            let count = min(chunk, batch - first)
            let rows = count * ho * wo
            let dOut = gradOutput + first * ho * wo * outChannels
            im2col(
                input + first * height * width * inChannels, images: count, height: height, width: width,
                into: workspace)
            Gemm.sgemm(m: columns, n: outChannels, k: rows, a: workspace, transA: true, b: dOut, c: gw, beta: 1)
            if let gradInput {
                Gemm.sgemm(m: rows, n: columns, k: outChannels, a: dOut, b: w, transB: true, c: workspace)
                col2im(
                    workspace, images: count, height: height, width: width,
                    into: gradInput + first * height * width * inChannels)
            }
            first += count
        }
    }

    /// Rows = output pixels, columns = (ky, kx, c) patches; out-of-image taps are zero.
    func im2col(
        _ input: UnsafePointer<Float>, images: Int, height: Int, width: Int,
        into col: UnsafeMutablePointer<Float>
    ) {
        let (ho, wo) = outputSize(height: height, width: width)
        let c = inChannels
        var row = col
        for n in 0..<images {
            let image = input + n * height * width * c
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var dst = row
                    for ky in 0..<kernel {
                        let iy = oy * stride - padding + ky
                        if iy < 0 || iy >= height {
                            dst.update(repeating: 0, count: kernel * c)
                            dst += kernel * c
                            continue
                        }
                        for kx in 0..<kernel {
                            let ix = ox * stride - padding + kx
                            if ix < 0 || ix >= width {
                                if c == 1 { dst.pointee = 0 } else { dst.update(repeating: 0, count: c) }
                            } else if c == 1 {
                                dst.pointee = image[iy * width + ix]
                            } else {
                                dst.update(from: image + (iy * width + ix) * c, count: c)
                            }
                            dst += c
                        }
                    }
                    row += columns
                }
            }
        }
    }

    /// The adjoint of im2col: sums each patch entry back into its input pixel (output is overwritten).
    func col2im(
        _ col: UnsafePointer<Float>, images: Int, height: Int, width: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        let (ho, wo) = outputSize(height: height, width: width)
        let c = inChannels
        output.update(repeating: 0, count: images * height * width * c)
        var row = col
        for n in 0..<images {
            let image = output + n * height * width * c
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var src = row
                    for ky in 0..<kernel {
                        let iy = oy * stride - padding + ky
                        if iy < 0 || iy >= height {
                            src += kernel * c
                            continue
                        }
                        for kx in 0..<kernel {
                            let ix = ox * stride - padding + kx
                            if ix >= 0 && ix < width {
                                pk_add(image + (iy * width + ix) * c, src, c)
                            }
                            src += c
                        }
                    }
                    row += columns
                }
            }
        }
    }
}

/// The chunk size new convolutions get, under a lock.
private final class ConvChunkDefault: @unchecked Sendable {
    let lock = NSLock()
    var rows = Conv2d.standardRowsPerChunk
}

private let chunkDefault = ConvChunkDefault()
