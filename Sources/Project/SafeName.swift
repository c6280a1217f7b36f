import Crypto
import Foundation

/// Turns arbitrary class names into distinct, safe folder and file names.
///
/// A safe name has no `/`, `\`, NUL or control characters, is not `.` or `..`, does not start with a
/// dot or a `-`, and is at most `maxBytes` bytes of UTF-8. Names that become equal after that, or that
/// differ only by case (which collide on case-insensitive file systems), get a short hash of the
/// original name appended, so every class keeps its own folder.
public enum SafeName {
    public static let maxBytes = 120

    /// The safe form of one name, before collisions are considered.
    public static func sanitize(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in name.unicodeScalars {
            let bad =
                s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) || s == "/" || s == "\\"
                || s == ":" || s == "*" || s == "?" || s == "\"" || s == "<" || s == ">" || s == "|"
            scalars.append(bad ? "_" : s)
        }
        var safe = String(scalars).trimmingCharacters(in: .whitespaces)
        while safe.hasPrefix(".") || safe.hasPrefix("-") { safe = "_" + safe.dropFirst() }
        if safe.isEmpty { safe = "_" }
        if safe.utf8.count > maxBytes { safe = truncate(safe, bytes: maxBytes - 9) + "~" + shortHash(name) }
        return safe
    }

    /// Distinct safe names for `names`: the same input always maps to the same output.
    public static func assign(_ names: [String]) -> [String: String] {
        var result: [String: String] = [:]
        var taken: [String: String] = [:]  // lower-cased safe name → the name that holds it
        // Names that are already safe keep their name; the rest yield. Sorted within each group so the
        // outcome does not depend on the order the names came in.
        let unique = Set(names).sorted()
        let ordered = unique.filter { sanitize($0) == $0 } + unique.filter { sanitize($0) != $0 }
        for name in ordered {
            var safe = sanitize(name)
            if let holder = taken[safe.lowercased()], holder != name {
                safe = truncate(safe, bytes: maxBytes - 9) + "~" + shortHash(name)
            }
            taken[safe.lowercased()] = name
            result[name] = safe
        }
        return result
    }

    /// The first 8 hex digits of the SHA-256 of `name`.
    static func shortHash(_ name: String) -> String {
        SHA256.hash(data: Array(name.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends on a character boundary.
    static func truncate(_ text: String, bytes: Int) -> String {
        var out = ""
        var used = 0
        for ch in text {
            let n = String(ch).utf8.count
            if used + n > bytes { break }
            out.append(ch)
            used += n
        }
        return out
    }
}
