import CNcursesw
import Foundation

/// What a terminal can show, read from terminfo and the environment without taking over the screen.
public struct TerminalCapabilities: Sendable, Equatable {
    /// Colours terminfo reports (`colors`), or 0 when the terminal is unknown.
    public var colors: Int
    /// Whether 24-bit colour is available: COLORTERM=truecolor|24bit, or terminfo `RGB`/`Tc`.
    public var trueColor: Bool

    /// Reads the capabilities of terminal type `term` under `environment`.
    public static func detect(term: String?, environment: [String: String]) -> TerminalCapabilities {
        var colors = 0
        var rgb = false
        if let term, !term.isEmpty {
            var status: Int32 = 0
            // setupterm only reads terminfo; fd -1 means "no output terminal".
            if setupterm(term, -1, &status) == OK, status == 1 {
                colors = Int(tigetnum("colors"))
                if colors < 0 { colors = 0 }
                rgb = tigetflag("RGB") == 1 || tigetflag("Tc") == 1
                del_curterm(set_curterm(nil))
            }
        }
        let colorterm = environment["COLORTERM"]?.lowercased() ?? ""
        if colorterm == "truecolor" || colorterm == "24bit" { rgb = true }
        return TerminalCapabilities(colors: colors, trueColor: rgb)
    }
}
