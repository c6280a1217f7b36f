import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one check every writer of user-named outputs passes first: an output may never be, contain or lie
/// inside a folder that plankterm must protect (the project, the images folder), so that `--force` can
/// never replace a project with a CSV or an images folder with an export.
public enum OutputGuard {
    /// Throws when `output` is, contains or lies inside one of `protected` (name, path), symbolic links
    /// and `..` resolved.
    public static func check(_ output: String, protecting protected: [(name: String, path: String)])
        throws(ProjectError)
    {
        let target = canonical(output)
        for (name, path) in protected {
            let guarded = canonical(path)
            let relation: String?
            if target == guarded {
                relation = "is \(name)"
            } else if guarded.hasPrefix(target == "/" ? "/" : target + "/") {
                relation = "contains \(name) (\(guarded))"
            } else if target.hasPrefix(guarded == "/" ? "/" : guarded + "/") {
                relation = "lies inside \(name) (\(guarded))"
            } else {
                relation = nil
            }
            if let relation {
                throw .exportFailed(
                    path: output, reason: "the output \(relation); exports go outside the project and the images folder"
                )
            }
        }
    }

    /// An absolute path with `.`/`..` and the symbolic links of its existing part resolved; the part that
    /// does not exist yet is appended as written.
    public static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = (absolute as NSString).standardizingPath
        var rest: [String] = []
        while true {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                return rest.reversed().reduce(base) { $0 == "/" ? "/" + $1 : $0 + "/" + $1 }
            }
            let parent = (existing as NSString).deletingLastPathComponent
            if parent == existing || parent.isEmpty { return absolute }
            rest.append((existing as NSString).lastPathComponent)
            existing = parent
        }
    }
}
