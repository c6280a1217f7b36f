import PlanktermCore

/// Makes any string safe to show in a cell of the screen: nothing it contains can act on the terminal,
/// and each character takes one column.
///
/// Controls and bidirectional overrides become visible as `SafeText.visible` shows them (ESC "␛", other
/// C0 controls their Control Pictures, DEL, C1 and bidi controls "�"). Characters wider than one
/// column (CJK, most emoji) then become "?", and combining marks and invisible format characters,
/// which would merge with a neighbour or vanish, are dropped.
public enum Sanitizer {
    public static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in SafeText.visible(text).unicodeScalars {
            let category = scalar.properties.generalCategory
            if isWide(scalar) {
                out.append("?")
            } else if category == .nonspacingMark || category == .enclosingMark || category == .format {
                continue
            } else {
                out.append(scalar)
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
