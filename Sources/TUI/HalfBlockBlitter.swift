import PlanktermCore

/// Draws a bitmap into cells with the upper half block "▀": foreground = the top pixel, background =
/// the bottom one, so a cell shows 2 pixels (UX.md "Thumbnails"). In 16 colours and mono the picture
/// becomes an ASCII density ramp on a 4×4 ordered dither, which any terminal shows.
public struct HalfBlockBlitter: Sendable {
    public var depth: ColorDepth
    /// In non-UTF-8 locales: no "▀"; the density ramp is used at every depth.
    public var asciiOnly: Bool
    /// The finer blitter (a setting, off by default: it needs a font with the quadrant glyphs U+2596–259F):
    /// 2 × 2 pixels a cell, drawn with the quadrant character and the two colours that best split them.
    public var quadrants: Bool

    public init(depth: ColorDepth, asciiOnly: Bool = false, quadrants: Bool = false) {
        self.depth = depth
        self.asciiOnly = asciiOnly
        self.quadrants = quadrants
    }

    /// Whether cells are drawn from 2 × 2 pixels.
    var usesQuadrants: Bool { quadrants && !asciiOnly && (depth == .trueColor || depth == .palette256) }

    /// The cell size of a thumbnail of `image` that fits `columns` × `rows` cells with its aspect kept
    /// (a cell is taken as twice as tall as wide: 1 column = 1 pixel wide, 1 row = 2 pixels high).
    public static func fit(width: Int, height: Int, columns: Int, rows: Int) -> (columns: Int, rows: Int) {
        guard width > 0, height > 0, columns > 0, rows > 0 else { return (0, 0) }
        let scale = min(Double(columns) / Double(width), Double(2 * rows) / Double(height))
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale / 2).rounded())))
    }

    /// The cells of `image` scaled to fit `columns` × `rows` (aspect kept); the result is exactly that
    /// size, with `pad` around the picture.
    public func render(_ image: Bitmap, columns: Int, rows: Int, pad: CellColor = .default) -> [[Cell]] {
        let size = Self.fit(width: image.width, height: image.height, columns: columns, rows: rows)
        var out = [[Cell]](repeating: [Cell](repeating: Cell(" ", background: pad), count: columns), count: rows)
        guard size.columns > 0 else { return out }
        let left = (columns - size.columns) / 2, top = (rows - size.rows) / 2
        if usesQuadrants {
            // A quadrant pixel is half a column wide and half a row high: twice as many across.
            let small = image.resized(width: size.columns * 2, height: size.rows * 2)
            for row in 0..<size.rows {
                for column in 0..<size.columns {
                    let pixels = [small.rgb(2 * column, 2 * row), small.rgb(2 * column + 1, 2 * row),
                                  small.rgb(2 * column, 2 * row + 1), small.rgb(2 * column + 1, 2 * row + 1)]
                    out[top + row][left + column] = quadrantCell(pixels)
                }
            }
            return out
        }
        let small = image.resized(width: size.columns, height: size.rows * 2)
        for row in 0..<size.rows {
            for column in 0..<size.columns {
                let upper = small.rgb(column, 2 * row), lower = small.rgb(column, 2 * row + 1)
                out[top + row][left + column] = cell(upper: upper, lower: lower, x: column, y: row)
            }
        }
        return out
    }

    /// Quadrant glyphs by mask: bit 0 upper left, 1 upper right, 2 lower left, 3 lower right.
    public static let quadrantGlyphs: [Character] = Array(" ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")

    /// The 2 × 2 pixels (upper left, upper right, lower left, lower right) as one cell: of the 8 ways
    /// to split them in two groups, the one with the least squared error to the groups' mean colours.
    func quadrantCell(_ p: [(UInt8, UInt8, UInt8)]) -> Cell {
        var best = (error: Int.max, mask: 0, fg: (0, 0, 0), bg: (0, 0, 0))
        for mask in 1..<16 where mask & 1 == 1 {  // a split and its complement are the same
            var sums = [(0, 0, 0, 0), (0, 0, 0, 0)]
            for i in 0..<4 {
                let g = (mask >> i) & 1 == 1 ? 0 : 1
                sums[g] = (sums[g].0 + Int(p[i].0), sums[g].1 + Int(p[i].1), sums[g].2 + Int(p[i].2), sums[g].3 + 1)
            }
            let means = sums.map { $0.3 == 0 ? (0, 0, 0) : ($0.0 / $0.3, $0.1 / $0.3, $0.2 / $0.3) }
            var error = 0
            for i in 0..<4 {
                let m = means[(mask >> i) & 1 == 1 ? 0 : 1]
                let d = (Int(p[i].0) - m.0, Int(p[i].1) - m.1, Int(p[i].2) - m.2)
                error += d.0 * d.0 + d.1 * d.1 + d.2 * d.2
            }
            if error < best.error { best = (error, mask, means[0], means[1]) }
        }
        func color(_ c: (Int, Int, Int)) -> CellColor {
            depth == .trueColor ? .rgb(UInt8(c.0), UInt8(c.1), UInt8(c.2))
                : .indexed(ColorQuantizer.nearest256(UInt8(c.0), UInt8(c.1), UInt8(c.2)))
        }
        // All four alike: a blank in their colour.
        if best.fg == best.bg {
            return Cell(" ", foreground: color(best.fg), background: color(best.fg))
        }
        return Cell(Self.quadrantGlyphs[best.mask], foreground: color(best.fg), background: color(best.bg))
    }

    /// Dark to light.
    public static let ramp: [Character] = Array(" .:-=+*#%@")

    private static let bayer: [Int] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

    func cell(upper: (UInt8, UInt8, UInt8), lower: (UInt8, UInt8, UInt8), x: Int, y: Int) -> Cell {
        if asciiOnly || depth == .palette16 || depth == .mono {
            let l = (ColorQuantizer.luma(upper.0, upper.1, upper.2) + ColorQuantizer.luma(lower.0, lower.1, lower.2)) / 2
            let steps = Self.ramp.count - 1
            let threshold = (Double(Self.bayer[(y % 4) * 4 + x % 4]) + 0.5) / 16 - 0.5
            let level = min(steps, max(0, Int((Double(l) / 255 * Double(steps) + threshold).rounded())))
            return Cell(Self.ramp[level], foreground: depth == .mono ? .default : .indexed(level > steps / 2 ? 15 : 7))
        }
        switch depth {
        case .trueColor:
            return Cell("▀", foreground: .rgb(upper.0, upper.1, upper.2), background: .rgb(lower.0, lower.1, lower.2))
        default:
            return Cell("▀", foreground: .indexed(ColorQuantizer.nearest256(upper.0, upper.1, upper.2)),
                        background: .indexed(ColorQuantizer.nearest256(lower.0, lower.1, lower.2)))
        }
    }
}
