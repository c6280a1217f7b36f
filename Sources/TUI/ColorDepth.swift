import Foundation

/// How many colours the terminal can show, from the best to the worst.
public enum ColorDepth: String, Sendable, CaseIterable, Codable {
    case trueColor = "truecolor"
    case palette256 = "256"
    case palette16 = "16"
    case mono
}

/// Maps RGB to the colours a terminal has.
public enum ColorQuantizer {
    /// The RGB value of xterm palette entry `index` (16–255: the 6×6×6 cube and the 24-step grey ramp;
    /// 0–15: xterm's defaults).
    public static func rgb(ofIndex index: Int) -> (UInt8, UInt8, UInt8) {
        switch index {
        case 0..<16:
            let base: [(UInt8, UInt8, UInt8)] = [
                (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
                (229, 229, 229),
                (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
                (255, 255, 255)
            ]
            return base[index]
        case 16..<232:
            let i = index - 16
            return (cubeLevels[i / 36], cubeLevels[(i / 6) % 6], cubeLevels[i % 6])
        default:
            let v = UInt8(8 + 10 * (index - 232))
            return (v, v, v)
        }
    }

    static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// The nearest of the 240 entries 16–255 in a perceptual sense: distance in CIE L*a*b* (D65). Greys
    /// land on the 24-step ramp or the cube's greys, whichever is closer in lightness, so grayscale
    /// plankton keep 30 levels. Cached per 5-bit RGB cell (32 KB).
    public static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        table256[(Int(r) >> 3) << 10 | (Int(g) >> 3) << 5 | Int(b) >> 3]
    }

    private static let table256: [UInt8] = {
        let palette = (16..<256).map { i -> (Int, (Double, Double, Double)) in
            let (r, g, b) = rgb(ofIndex: i)
            return (i, lab(r, g, b))
        }
        var table = [UInt8](repeating: 0, count: 32 * 32 * 32)
        for i in 0..<(32 * 32 * 32) {
            let r = UInt8(((i >> 10) & 31) << 3 | 4), g = UInt8(((i >> 5) & 31) << 3 | 4), b = UInt8((i & 31) << 3 | 4)
            let target = lab(r, g, b)
            var best = 16, bestDistance = Double.infinity
            for (index, l) in palette {
                let d =
                    (l.0 - target.0) * (l.0 - target.0) + (l.1 - target.1) * (l.1 - target.1) + (l.2 - target.2)
                    * (l.2 - target.2)
                if d < bestDistance { bestDistance = d; best = index }
            }
            table[i] = UInt8(best)
        }
        return table
    }()

    /// sRGB → CIE L*a*b* (D65).
    static func lab(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (Double, Double, Double) {
        func linear(_ c: UInt8) -> Double {
            let v = Double(c) / 255
            return v <= 0.04045 ? v / 12.92 : Foundation.pow((v + 0.055) / 1.055, 2.4)
        }
        let (lr, lg, lb) = (linear(r), linear(g), linear(b))
        let x = (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047
        let y = 0.2126 * lr + 0.7152 * lg + 0.0722 * lb
        let z = (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883
        func f(_ t: Double) -> Double { t > 0.008856 ? Foundation.cbrt(t) : 7.787 * t + 16.0 / 116 }
        return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))
    }

    /// Luma (Rec. 601) of a colour, 0–255.
    @inline(__always) public static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        (299 * Int(r) + 587 * Int(g) + 114 * Int(b)) / 1000
    }
}
