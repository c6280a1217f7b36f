/// Makes any string safe to show: nothing it contains can act on the terminal.
///
/// Control characters (C0, DEL, C1), and so every escape sequence's introducer, become visible
/// replacements: ESC as "␛", other C0 controls as their Control Pictures (U+2400 block), DEL and C1 as
/// "�". Bidirectional overrides and isolates, which can reorder what the user sees, become "�" too.
/// Characters wider than one column (CJK, most emoji) become "?" so that one character is one cell.
public enum Sanitizer {
    public static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x1B: out.append("␛")
            case 0x00..<0x20: out.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F, 0x80..<0xA0: out.append("�")
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: out.append("�")
            default:
                if isWide(scalar) { out.append("?") } else if scalar.properties.generalCategory == .nonspacingMark
                    || scalar.properties.generalCategory == .enclosingMark || scalar.properties.generalCategory == .format {
                    continue  // combining and invisible format characters would merge or vanish: dropped
                } else {
                    out.append(scalar)
                }
            }
        }
        return String(out)
    }

    /// East Asian wide and fullwidth ranges, and emoji presentation: two columns in a terminal.
    static func isWide(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if s.properties.isEmojiPresentation { return true }
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
    }
}
