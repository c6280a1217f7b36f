import Foundation

/// A fresh folder under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "plankterm-test") throws {
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    /// `path/relative`.
    public func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    /// Writes `bytes` at `relative`, creating folders on the way.
    @discardableResult
    public func write(_ bytes: [UInt8], to relative: String) throws -> String {
        let target = file(relative)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Where the shared test data lives (`../shared/data` beside the repository), if it is there.
public enum SharedData {
    /// `shared/data` found by walking up from this source file, or PLANKTERM_SHARED_DATA.
    public static var root: String? {
        if let env = ProcessInfo.processInfo.environment["PLANKTERM_SHARED_DATA"] { return env }
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            dir = dir.deletingLastPathComponent()
            let candidate = dir.appendingPathComponent("shared/data/ndsb-planktonset").path
            if FileManager.default.fileExists(atPath: candidate) {
                return dir.appendingPathComponent("shared/data").path
            }
        }
        return nil
    }

    /// `ndsb-planktonset` (13,018 labelled ISIIS images).
    public static var ndsb: String? { root.map { ($0 as NSString).appendingPathComponent("ndsb-planktonset") } }
}
