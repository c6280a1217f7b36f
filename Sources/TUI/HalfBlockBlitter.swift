import PlanktermCore

/// Turns a bitmap into cells (each blitter is named by its geometry: half blocks, quadrants).
public protocol Blitter: Sendable {
    /// The cells of `image` scaled to fit `columns` × `rows` (aspect kept); the result is exactly that
    /// size, with `pad` around the picture.
    func render(_ image: PixelImage, columns: Int, rows: Int, pad: CellColor) -> [[Cell]]
}

extension Blitter {
    public func render(_ image: PixelImage, columns: Int, rows: Int) -> [[Cell]] {
        render(image, columns: columns, rows: rows, pad: .default)
    }
}

/// Draws a bitmap into cells with the upper half block "▀": foreground = the top pixel, background =
/// the bottom one, so a cell shows 2 pixels; the default blitter, as every UTF-8 terminal has "▀". In 16
/// colours and mono the picture becomes an ASCII density ramp on a 4×4 ordered dither, which any
/// terminal shows.
public struct HalfBlockBlitter: Blitter {
    public var depth: ColorDepth
    /// In non-UTF-8 locales: no "▀"; the density ramp is used at every depth.
    public var asciiOnly: Bool
    public init(depth: ColorDepth, asciiOnly: Bool = false) {
        self.depth = depth
        self.asciiOnly = asciiOnly
    }

    /// The cell size of a thumbnail of `image` that fits `columns` × `rows` cells with its aspect kept
    /// (a cell is taken as twice as tall as wide: 1 column = 1 pixel wide, 1 row = 2 pixels high).
    public static func fit(width: Int, height: Int, columns: Int, rows: Int) -> (columns: Int, rows: Int) {
        guard width > 0, height > 0, columns > 0, rows > 0 else { return (0, 0) }
        let scale = min(Double(columns) / Double(width), Double(2 * rows) / Double(height))
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale / 2).rounded())))
    }

    /// The cells of `image` scaled to fit `columns` × `rows` (aspect kept); the result is exactly that
    /// size, with `pad` around the picture.
    public func render(_ image: PixelImage, columns: Int, rows: Int, pad: CellColor = .default) -> [[Cell]] {
        let size = Self.fit(width: image.width, height: image.height, columns: columns, rows: rows)
        var out = [[Cell]](repeating: [Cell](repeating: Cell(" ", background: pad), count: columns), count: rows)
        guard size.columns > 0 else { return out }
        let left = (columns - size.columns) / 2, top = (rows - size.rows) / 2
        let small = image.resized(width: size.columns, height: size.rows * 2, growth: .area)
        for row in 0..<size.rows {
            for column in 0..<size.columns {
                let upper = small.rgb(column, 2 * row), lower = small.rgb(column, 2 * row + 1)
                out[top + row][left + column] = cell(upper: upper, lower: lower, x: column, y: row)
            }
        }
        return out
    }

    /// Dark to light.
    public static let ramp: [Character] = Array(" .:-=+*#%@")

    private static let bayer: [Int] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

    func cell(upper: (UInt8, UInt8, UInt8), lower: (UInt8, UInt8, UInt8), x: Int, y: Int) -> Cell {
        if asciiOnly || depth == .palette16 || depth == .mono {
            let l =
                (ColorQuantizer.luma(upper.0, upper.1, upper.2) + ColorQuantizer.luma(lower.0, lower.1, lower.2)) / 2
            let steps = Self.ramp.count - 1
            let threshold = (Double(Self.bayer[(y % 4) * 4 + x % 4]) + 0.5) / 16 - 0.5
            let level = min(steps, max(0, Int((Double(l) / 255 * Double(steps) + threshold).rounded())))
            return Cell(Self.ramp[level], foreground: depth == .mono ? .default : .indexed(level > steps / 2 ? 15 : 7))
        }
        switch depth {
        case .trueColor:
            return Cell("▀", foreground: .rgb(upper.0, upper.1, upper.2), background: .rgb(lower.0, lower.1, lower.2))
        default:
            return Cell(
                "▀", foreground: .indexed(ColorQuantizer.nearest256(upper.0, upper.1, upper.2)),
                background: .indexed(ColorQuantizer.nearest256(lower.0, lower.1, lower.2)))
        }
    }
}
