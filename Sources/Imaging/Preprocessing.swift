import Foundation
import PlanktermCore

/// The pixel operations of the encoder's preprocessing (`Preprocessor`): luma, border background, pad to
/// square (the resize is `PixelImage.resized`).
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
}
