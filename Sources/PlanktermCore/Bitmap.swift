/// Pixels for a thumbnail: 8-bit grey (1 channel) or RGB (3 channels), row-major. The TUI's own type,
/// so that it depends on no decoder.
public struct Bitmap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "grey or RGB")
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    @inline(__always) public func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * channels
        return channels == 1 ? (pixels[i], pixels[i], pixels[i]) : (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Area-averaged resize to `w` × `h` (every source pixel counts, so thin structures survive).
    public func resized(width w: Int, height h: Int) -> Bitmap {
        guard w > 0, h > 0 else { return Bitmap(width: 0, height: 0, channels: channels, pixels: []) }
        var out = [UInt8](repeating: 0, count: w * h * channels)
        for ty in 0..<h {
            let y0 = Double(ty) * Double(height) / Double(h), y1 = Double(ty + 1) * Double(height) / Double(h)
            for tx in 0..<w {
                let x0 = Double(tx) * Double(width) / Double(w), x1 = Double(tx + 1) * Double(width) / Double(w)
                var sum = [Double](repeating: 0, count: channels), area = 0.0
                var sy = Int(y0)
                while Double(sy) < y1 && sy < height {
                    let wy = min(Double(sy + 1), y1) - max(Double(sy), y0)
                    var sx = Int(x0)
                    while Double(sx) < x1 && sx < width {
                        let wx = min(Double(sx + 1), x1) - max(Double(sx), x0)
                        let weight = wx * wy
                        for c in 0..<channels { sum[c] += weight * Double(pixels[(sy * width + sx) * channels + c]) }
                        area += weight
                        sx += 1
                    }
                    sy += 1
                }
                for c in 0..<channels {
                    out[(ty * w + tx) * channels + c] = UInt8(min(255, max(0, (sum[c] / area).rounded())))
                }
            }
        }
        return Bitmap(width: w, height: h, channels: channels, pixels: out)
    }
}
