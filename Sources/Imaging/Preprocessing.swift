import Foundation

/// The pixel operations of the encoder's preprocessing (`Preprocessor`): luma, border background, pad to
/// square, area-averaging resize.
public enum Preprocessing {
    /// One gray channel: Rec. 601 luma for colour images (as Pillow's `L`), alpha dropped.
    public static func luma(_ image: PixelImage) -> PixelImage {
        switch image.channels {
        case 1:
            return image
        case 2:
            var out = [UInt8](repeating: 0, count: image.width * image.height)
            for i in 0..<out.count { out[i] = image.pixels[2 * i] }
            return PixelImage(width: image.width, height: image.height, channels: 1, pixels: out)
        default:
            let n = image.width * image.height
            let c = image.channels
            var out = [UInt8](repeating: 0, count: n)
            image.pixels.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    // Integer Rec. 601 weights ×1000 with rounding, as Pillow's convert("L").
                    let r = Int(p[i * c]), g = Int(p[i * c + 1]), b = Int(p[i * c + 2])
                    out[i] = UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
                }
            }
            return PixelImage(width: image.width, height: image.height, channels: 1, pixels: out)
        }
    }

    /// The median of the pixels on the image's outer edge, per channel: the background estimate.
    ///
    /// Plankton sit in the middle of their crop, so the border is almost all background.
    public static func borderMedian(_ image: PixelImage) -> [UInt8] {
        guard image.width > 0, image.height > 0 else { return [UInt8](repeating: 0, count: image.channels) }
        var result = [UInt8](repeating: 0, count: image.channels)
        for c in 0..<image.channels {
            var histogram = [Int](repeating: 0, count: 256)
            var total = 0
            func add(_ x: Int, _ y: Int) {
                histogram[Int(image[x, y, c])] += 1
                total += 1
            }
            for x in 0..<image.width {
                add(x, 0)
                if image.height > 1 { add(x, image.height - 1) }
            }
            if image.height > 2 {
                for y in 1..<(image.height - 1) {
                    add(0, y)
                    if image.width > 1 { add(image.width - 1, y) }
                }
            }
            // Lower median: the smallest value whose cumulative count reaches half.
            let half = (total + 1) / 2
            var seen = 0
            for v in 0..<256 {
                seen += histogram[v]
                if seen >= half {
                    result[c] = UInt8(v)
                    break
                }
            }
        }
        return result
    }

    /// Pads to a square of side max(width, height), the image centred, the margin filled with `fill`.
    public static func padToSquare(_ image: PixelImage, fill: [UInt8]) -> PixelImage {
        let side = max(image.width, image.height)
        if image.width == side && image.height == side { return image }
        var out = PixelImage(width: side, height: side, channels: image.channels, filledWith: fill)
        let x0 = (side - image.width) / 2
        let y0 = (side - image.height) / 2
        let rowBytes = image.width * image.channels
        out.pixels.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<image.height {
                    let d = ((y + y0) * side + x0) * image.channels
                    for i in 0..<rowBytes { dst[d + i] = src[y * rowBytes + i] }
                }
            }
        }
        return out
    }

    /// Resizes to `width`×`height`: exact area averaging along an axis that shrinks, bilinear
    /// interpolation (pixel centres aligned) along one that grows.
    public static func resized(_ image: PixelImage, width: Int, height: Int) -> PixelImage {
        precondition(width > 0 && height > 0, "target size")
        if image.width == width && image.height == height { return image }
        let c = image.channels
        // Horizontal pass into floats, then vertical pass; each axis independently.
        let horizontal = resampleWeights(from: image.width, to: width)
        let vertical = resampleWeights(from: image.height, to: height)
        var mid = [Float](repeating: 0, count: width * image.height * c)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<image.height {
                for x in 0..<width {
                    for (sx, w) in horizontal[x] {
                        let s = (y * image.width + sx) * c
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
    static func resampleWeights(from source: Int, to target: Int) -> [[(Int, Float)]] {
        precondition(source > 0 && target > 0)
        let scale = Double(source) / Double(target)
        var weights = [[(Int, Float)]]()
        weights.reserveCapacity(target)
        for t in 0..<target {
            if scale >= 1 {
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
