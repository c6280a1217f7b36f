/// A colour theme: an RGB value (and a 16-colour fallback) for each role.
public struct Theme: Sendable, Equatable {
    public struct Color: Sendable, Equatable {
        public var r: UInt8, g: UInt8, b: UInt8
        /// The ANSI colour (0–15) used on 16-colour terminals.
        public var ansi16: UInt8
        public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, ansi16: UInt8) {
            self.r = r
            self.g = g
            self.b = b
            self.ansi16 = ansi16
        }
    }

    public var name: String
    public var colors: [ColorRole: Color]

    public init(name: String, colors: [ColorRole: Color]) {
        self.name = name
        self.colors = colors
    }

    /// The built-in dark theme (also the fallback when a theme file is broken).
    public static let dark = Theme(
        name: "dark",
        colors: [
            .background: Color(18, 20, 24, ansi16: 0), .text: Color(220, 222, 226, ansi16: 7),
            .dim: Color(130, 136, 146, ansi16: 8), .accent: Color(110, 180, 255, ansi16: 12),
            .selection: Color(52, 62, 86, ansi16: 4), .statusBar: Color(40, 46, 58, ansi16: 4),
            .confidenceLow: Color(235, 110, 90, ansi16: 9), .confidenceMedium: Color(230, 190, 90, ansi16: 11),
            .confidenceHigh: Color(120, 210, 130, ansi16: 10), .validated: Color(120, 210, 130, ansi16: 10),
            .predicted: Color(170, 170, 230, ansi16: 13), .dubious: Color(230, 190, 90, ansi16: 11),
            .warning: Color(235, 110, 90, ansi16: 9)
        ])
}
