import Foundation

/// Resolving the PROJECT argument, and who labels.
enum ProjectLocation {
    /// An absolute, symlink-free form of `path`.
    static func absolute(_ path: String) -> String {
        let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: base).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Who labels: `--annotator`, else `$USER`, else "unknown".
    static func annotator(_ given: String?) -> String {
        if let given, !given.isEmpty { return given }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "unknown"
    }
}
