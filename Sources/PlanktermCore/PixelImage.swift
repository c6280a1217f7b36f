/// An 8-bit image in memory: rows top to bottom, `channels` samples per pixel, interleaved. The one image
/// type: decoders fill it, the encoder's preprocessing works on it, and the screen draws it (grey or RGB:
/// `rgb`).
public struct PixelImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && channels >= 1, "image shape")
        precondition(pixels.count == width * height * channels, "pixel buffer size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of one colour.
    public init(width: Int, height: Int, channels: Int, filledWith value: [UInt8]) {
        precondition(value.count == channels, "fill value has one sample per channel")
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        if channels == 1 {
            pixels = [UInt8](repeating: value[0], count: width * height)
        } else {
            for i in 0..<(width * height) {
                for c in 0..<channels { pixels[i * channels + c] = value[c] }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Sample `c` of the pixel at column `x`, row `y`.
    @inlinable public subscript(x: Int, y: Int, c: Int = 0) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// The pixel at column `x`, row `y` as RGB: grey repeated, or the first three channels.
    @inline(__always) public func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * channels
        return channels < 3 ? (pixels[i], pixels[i], pixels[i]) : (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// How `resized` fills an axis that grows.
    public enum Growth: Sendable {
        /// Bilinear interpolation, pixel centres aligned (the encoder's preprocessing, as PIL).
        case bilinear
        /// Each target pixel is the area-weighted mean of the source it covers, as when shrinking: blocks
        /// with blended edges (a zoomed picture on the screen, where a pixel stays a pixel).
        case area
    }

    /// Resized to `width`×`height`, each axis apart: exact area averaging along an axis that shrinks (every
    /// source pixel counts, so thin structures survive), `growth` along one that grows.
    public func resized(width: Int, height: Int, growth: Growth = .bilinear) -> PixelImage {
        precondition(width > 0 && height > 0, "target size")
        if self.width == width && self.height == height { return self }
        let c = channels
        // Horizontal pass into floats, then vertical pass.
        let horizontal = Self.resampleWeights(from: self.width, to: width, growth: growth)
        let vertical = Self.resampleWeights(from: self.height, to: height, growth: growth)
        var mid = [Float](repeating: 0, count: width * self.height * c)
        pixels.withUnsafeBufferPointer { src in
            for y in 0..<self.height {
                for x in 0..<width {
                    for (sx, w) in horizontal[x] {
                        let s = (y * self.width + sx) * c
                        let d = (y * width + x) * c
                        for k in 0..<c { mid[d + k] += w * Float(src[s + k]) }
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: width * height * c)
        for y in 0..<height {
            for x in 0..<width {
                for k in 0..<c {
                    var sum: Float = 0
                    for (sy, w) in vertical[y] { sum += w * mid[(sy * width + x) * c + k] }
                    out[(y * width + x) * c + k] = UInt8(max(0, min(255, sum.rounded())))
                }
            }
        }
        return PixelImage(width: width, height: height, channels: c, pixels: out)
    }

    /// For each target index, the source indices and weights (summing to 1) that make it.
    static func resampleWeights(from source: Int, to target: Int, growth: Growth) -> [[(Int, Float)]] {
        precondition(source > 0 && target > 0)
        let scale = Double(source) / Double(target)
        var weights = [[(Int, Float)]]()
        weights.reserveCapacity(target)
        for t in 0..<target {
            if scale >= 1 || growth == .area {
                // Area: the target pixel covers [t·scale, (t+1)·scale) of the source.
                let start = Double(t) * scale, end = Double(t + 1) * scale
                var row = [(Int, Float)]()
                var s = Int(start.rounded(.down))
                while Double(s) < end && s < source {
                    let overlap = min(end, Double(s + 1)) - max(start, Double(s))
                    if overlap > 1e-9 { row.append((s, Float(overlap / scale))) }
                    s += 1
                }
                weights.append(row)
            } else {
                // Bilinear with centres aligned, clamped at the edges.
                let centre = (Double(t) + 0.5) * scale - 0.5
                let lo = Int(centre.rounded(.down))
                let frac = Float(centre - Double(lo))
                let a = max(0, min(source - 1, lo)), b = max(0, min(source - 1, lo + 1))
                weights.append(a == b ? [(a, Float(1))] : [(a, 1 - frac), (b, frac)])
            }
        }
        return weights
    }
}
