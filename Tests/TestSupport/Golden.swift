import Foundation
import Testing

/// Text a test's output is compared with: committed files in the `Golden/` folder beside the test
/// file that makes them. `PLANKTERM_UPDATE_GOLDEN=1 swift test` rewrites the files instead of comparing
/// (and fails, so that an update is never mistaken for a pass); review the change with `git diff`.
public struct GoldenFiles: Sendable {
    /// The `Golden/` folder.
    public let folder: URL

    /// The `Golden/` folder beside `filePath` (by default the calling test file).
    public init(besideFile filePath: String = #filePath) {
        folder = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    }

    /// Whether this run rewrites golden files rather than comparing with them.
    public static var updating: Bool { ProcessInfo.processInfo.environment["PLANKTERM_UPDATE_GOLDEN"] == "1" }

    /// Compares `actual` (a final newline is added) with the golden file `name`, recording an issue with
    /// the first differing lines when they differ; with PLANKTERM_UPDATE_GOLDEN=1 writes it instead.
    public func check(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = folder.appendingPathComponent(name)
        let text = actual + "\n"
        if Self.updating {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            Issue.record(
                "wrote \(name); run again without PLANKTERM_UPDATE_GOLDEN", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record(
                "no golden file \(url.path); PLANKTERM_UPDATE_GOLDEN=1 swift test writes it",
                sourceLocation: sourceLocation)
            return
        }
        if let difference = Self.difference(expected: expected, actual: text) {
            Issue.record("\(name) differs from its golden file:\n\(difference)", sourceLocation: sourceLocation)
        }
    }

    /// nil when the texts are equal; otherwise the first `limit` differing lines (numbered from 1) as
    /// expected / actual pairs, a count of the others, and the line counts when they differ.
    public static func difference(expected: String, actual: String, limit: Int = 5) -> String? {
        guard expected != actual else { return nil }
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let differing = (0..<max(e.count, a.count)).filter { i in
            i >= e.count || i >= a.count || e[i] != a[i]
        }
        var lines = differing.prefix(limit).map { i in
            let want = i < e.count ? String(e[i]) : "(no line)"
            let have = i < a.count ? String(a[i]) : "(no line)"
            return "line \(i + 1):\n  expected: \(want)\n  actual:   \(have)"
        }
        if differing.count > limit { lines.append("… and \(differing.count - limit) more differing lines") }
        if e.count != a.count { lines.append("\(a.count) lines, expected \(e.count)") }
        return lines.joined(separator: "\n")
    }
}
