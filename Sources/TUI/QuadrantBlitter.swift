import PlanktermCore

/// The finer blitter (a setting, off by default: it needs a font with the quadrant glyphs U+2596–259F):
/// 2 × 2 pixels a cell, drawn with the quadrant character and the two colours that best split them. In
/// 16 colours, mono or non-UTF-8 locales it draws as `HalfBlockBlitter` does.
public struct QuadrantBlitter: Blitter {
    public var fallback: HalfBlockBlitter

    public init(depth: ColorDepth, asciiOnly: Bool = false) {
        fallback = HalfBlockBlitter(depth: depth, asciiOnly: asciiOnly)
    }

    var depth: ColorDepth { fallback.depth }

    public func render(_ image: PixelImage, columns: Int, rows: Int, pad: CellColor = .default) -> [[Cell]] {
        guard !fallback.asciiOnly, depth == .trueColor || depth == .palette256 else {
            return fallback.render(image, columns: columns, rows: rows, pad: pad)
        }
        // The same cell box as the half blocks; a quadrant pixel is half a column wide and half a row
        // high, so twice as many pixels across.
        let size = HalfBlockBlitter.fit(width: image.width, height: image.height, columns: columns, rows: rows)
        var out = [[Cell]](repeating: [Cell](repeating: Cell(" ", background: pad), count: columns), count: rows)
        guard size.columns > 0 else { return out }
        let left = (columns - size.columns) / 2, top = (rows - size.rows) / 2
        let small = image.resized(width: size.columns * 2, height: size.rows * 2, growth: .area)
        for row in 0..<size.rows {
            for column in 0..<size.columns {
                let pixels = [
                    small.rgb(2 * column, 2 * row), small.rgb(2 * column + 1, 2 * row),
                    small.rgb(2 * column, 2 * row + 1), small.rgb(2 * column + 1, 2 * row + 1)
                ]
                out[top + row][left + column] = quadrantCell(pixels)
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
            depth == .trueColor
                ? .rgb(UInt8(c.0), UInt8(c.1), UInt8(c.2))
                : .indexed(ColorQuantizer.nearest256(UInt8(c.0), UInt8(c.1), UInt8(c.2)))
        }
        // All four alike: a blank in their colour.
        if best.fg == best.bg {
            return Cell(" ", foreground: color(best.fg), background: color(best.fg))
        }
        return Cell(Self.quadrantGlyphs[best.mask], foreground: color(best.fg), background: color(best.bg))
    }

}
