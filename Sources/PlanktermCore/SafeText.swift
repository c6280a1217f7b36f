/// Text from outside the program (file names, class names, error messages) made safe to print to a terminal.
public enum SafeText {
    /// `text` with everything that could act on the terminal made visible, so it prints as one inert line.
    ///
    /// Control characters (C0, DEL, C1) — and so every escape sequence's introducer and every line break —
    /// become visible replacements: C0 controls their Control Pictures (ESC "␛", newline "␊", tab "␉"),
    /// DEL and C1 "�". Bidirectional overrides, isolates and marks, which can reorder what the reader
    /// sees, become "�" too. Everything else is kept as it is.
    public static func visible(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00..<0x20: out.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F, 0x80..<0xA0: out.append("�")
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: out.append("�")
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
