/// The screen as values: `height` rows of `width` cells. Screens render into it; the terminal driver
/// diffs it against the previous frame and writes only what changed.
public struct ScreenBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Pictures drawn in pixels over blank cells (kitty, sixel, iTerm2); empty with block characters.
    public var images: [ImagePlacement] = []

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = [Cell](repeating: fill, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes `text` from (x, y), sanitised and cut at `maxWidth` columns (default: to the right edge),
    /// ending with "…" when cut. Returns the columns used.
    @discardableResult
    public mutating func write(
        _ text: String, x: Int, y: Int, maxWidth: Int? = nil, foreground: CellColor = .role(.text),
        background: CellColor = .role(.background), attributes: CellAttributes = []
    ) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - x)
        guard limit > 0 else { return 0 }
        var glyphs = Array(Sanitizer.sanitize(text))
        if glyphs.count > limit { glyphs = Array(glyphs.prefix(limit - 1)) + ["…"] }
        for (i, g) in glyphs.enumerated() where x + i >= 0 {
            self[x + i, y] = Cell(g, foreground: foreground, background: background, attributes: attributes)
        }
        return glyphs.count
    }

    /// Fills a rectangle with one cell.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, with cell: Cell) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { self[column, row] = cell }
        }
    }

    /// The characters, one line per row (for golden files and tests).
    public var text: String {
        (0..<height).map { y in String((0..<width).map { cells[y * width + $0].character }) }.joined(separator: "\n")
    }
}
