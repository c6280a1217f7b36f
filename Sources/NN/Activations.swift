import CKernels

/// Elementwise and pooling layers, NHWC. Each is a forward/backward pair on caller-owned buffers.
public enum ReLU {
    /// y = max(x, 0); y may alias x.
    public static func forward(_ x: UnsafePointer<Float>, count: Int, output y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = max(x[i], 0) }
    }

    /// dx = dy where the forward output was positive; dx may alias dy.
    public static func backward(
        output y: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, count: Int,
        gradInput dx: UnsafeMutablePointer<Float>
    ) {
        if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
        pk_relu_mask(dx, y, count)
    }
}

/// The activation that follows a BatchNorm, applied in the same pass (see `BatchNorm.forward`).
public enum Activation: Sendable {
    case none, relu, relu6

    /// The upper clamp the C kernels take: 0 for none, ∞ for ReLU, 6 for ReLU6.
    var upper: Float {
        switch self {
        case .none: 0
        case .relu: .infinity
        case .relu6: 6
        }
    }
}

/// ReLU6, min(max(x, 0), 6): the activation of MobileNet and EfficientNet-Lite.
public enum ReLU6 {
    /// y = min(max(x, 0), 6); y may alias x.
    public static func forward(_ x: UnsafePointer<Float>, count: Int, output y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = min(max(x[i], 0), 6) }
    }

    /// dx = dy where the forward output was strictly between 0 and 6; dx may alias dy.
    public static func backward(
        output y: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, count: Int,
        gradInput dx: UnsafeMutablePointer<Float>
    ) {
        if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
        pk_clip_mask(dx, y, 6, count)
    }
}

/// Global average pooling: [N, H, W, C] → [N, C].
public enum GlobalAveragePool {
    public static func forward(
        _ x: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int,
        output y: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(pixels)
        for n in 0..<batch {
            let out = y + n * channels
            out.update(repeating: 0, count: channels)
            for p in 0..<pixels { pk_add(out, x + (n * pixels + p) * channels, channels) }
            for c in 0..<channels { out[c] *= scale }
        }
    }

    public static func backward(
        gradOutput dy: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int,
        gradInput dx: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(pixels)
        for n in 0..<batch {
            for p in 0..<pixels {
                pk_scale_copy(dx + (n * pixels + p) * channels, dy + n * channels, scale, channels)
            }
        }
    }
}

/// The geometry shared by max and average pooling: a square window sliding with a stride over padded
/// NHWC input.
struct PoolWindow: Sendable {
    let window: Int
    let stride: Int
    let padding: Int

    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - window) / stride + 1, (width + 2 * padding - window) / stride + 1)
    }

    /// Calls `body(outputOffset, inputOffset)` for every output pixel and each of its in-image taps, with
    /// the offsets of channel 0 in the NHWC buffers; `start(outputOffset)` runs before a pixel's taps and
    /// `end(outputOffset)` after them.
    @inline(__always)
    func forEachTap(
        batch: Int, height: Int, width: Int, channels: Int, start: (Int) -> Void = { _ in },
        end: (Int) -> Void = { _ in }, _ body: (Int, Int) -> Void
    ) {
        let (ho, wo) = outputSize(height: height, width: width)
        for n in 0..<batch {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let o = ((n * ho + oy) * wo + ox) * channels
                    start(o)
                    for ky in 0..<window {
                        let iy = oy * stride - padding + ky
                        guard iy >= 0 && iy < height else { continue }
                        for kx in 0..<window {
                            let ix = ox * stride - padding + kx
                            guard ix >= 0 && ix < width else { continue }
                            body(o, ((n * height + iy) * width + ix) * channels)
                        }
                    }
                    end(o)
                }
            }
        }
    }
}

/// Max pooling with a square window, NHWC; padding counts as −∞.
public struct MaxPool: Sendable {
    public let window: Int
    public let stride: Int
    public let padding: Int
    var geometry: PoolWindow { PoolWindow(window: window, stride: stride, padding: padding) }

    public init(window: Int, stride: Int, padding: Int = 0) {
        self.window = window
        self.stride = stride
        self.padding = padding
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        geometry.outputSize(height: height, width: width)
    }

    /// Writes y and, in `argmax` (one Int32 per output value), the input index each maximum came from.
    public func forward(
        _ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
        output y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        geometry.forEachTap(
            batch: batch, height: height, width: width, channels: channels,
            start: { o in
                for c in 0..<channels {
                    y[o + c] = -.infinity
                    argmax[o + c] = -1
                }
            }
        ) { o, i in
            for c in 0..<channels where x[i + c] > y[o + c] {
                y[o + c] = x[i + c]
                argmax[o + c] = Int32(i + c)
            }
        }
    }

    public func backward(
        gradOutput dy: UnsafePointer<Float>, outputCount: Int, argmax: UnsafePointer<Int32>,
        inputCount: Int, gradInput dx: UnsafeMutablePointer<Float>
    ) {
        dx.update(repeating: 0, count: inputCount)
        for o in 0..<outputCount where argmax[o] >= 0 { dx[Int(argmax[o])] += dy[o] }
    }
}

/// Average pooling with a square window, NHWC; padding counts as zero and is included in the count
/// (PyTorch's `count_include_pad=True`).
public struct AvgPool: Sendable {
    public let window: Int
    public let stride: Int
    public let padding: Int
    var geometry: PoolWindow { PoolWindow(window: window, stride: stride, padding: padding) }

    public init(window: Int, stride: Int, padding: Int = 0) {
        self.window = window
        self.stride = stride
        self.padding = padding
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        geometry.outputSize(height: height, width: width)
    }

    public func forward(
        _ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
        output y: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(window * window)
        geometry.forEachTap(
            batch: batch, height: height, width: width, channels: channels,
            start: { o in for c in 0..<channels { y[o + c] = 0 } },
            end: { o in for c in 0..<channels { y[o + c] *= scale } }
        ) { o, i in
            for c in 0..<channels { y[o + c] += x[i + c] }
        }
    }

    public func backward(
        gradOutput dy: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
        gradInput dx: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(window * window)
        dx.update(repeating: 0, count: batch * height * width * channels)
        geometry.forEachTap(batch: batch, height: height, width: width, channels: channels) { o, i in
            for c in 0..<channels { dx[i + c] += dy[o + c] * scale }
        }
    }
}
