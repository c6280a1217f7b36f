/// A colour as the screen model knows it: a theme role (resolved by the driver), an exact RGB value
/// (thumbnails), an xterm palette index, or the terminal's default.
public enum CellColor: Sendable, Hashable {
    case `default`
    case role(ColorRole)
    case rgb(UInt8, UInt8, UInt8)
    case indexed(UInt8)
}

/// Named colour roles that themes define (a theme file, `themes/*.toml`, gives a colour to each role).
public enum ColorRole: String, Sendable, Hashable, CaseIterable, Codable {
    case background, text, dim, accent, selection
    case statusBar = "status_bar"
    case confidenceLow = "confidence_low"
    case confidenceMedium = "confidence_medium"
    case confidenceHigh = "confidence_high"
    case validated, predicted, dubious, warning
}

/// Text attributes of a cell.
public struct CellAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = CellAttributes(rawValue: 1)
    public static let reverse = CellAttributes(rawValue: 2)
    public static let underline = CellAttributes(rawValue: 4)
}

/// One character cell: a single grapheme that is one column wide, with its colours.
public struct Cell: Sendable, Hashable {
    public var character: Character
    public var foreground: CellColor
    public var background: CellColor
    public var attributes: CellAttributes

    public init(
        _ character: Character = " ", foreground: CellColor = .default, background: CellColor = .default,
        attributes: CellAttributes = []
    ) {
        self.character = character
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let blank = Cell()
}
