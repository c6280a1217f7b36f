import Foundation
import Project
import Store

/// Resolving the PROJECT argument and the project's images folder.
enum ProjectLocation {
    static let imagesRootKey = "imagesRoot"

    /// An absolute, symlink-free form of `path`.
    static func absolute(_ path: String) -> String {
        let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: base).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// The images folder recorded in the project.
    static func imagesRoot(of store: ProjectStore) throws -> String {
        guard let root = try store.meta(imagesRootKey) else { throw ProjectError.noImagesFolder(project: store.directory) }
        return root
    }

    /// Who labels: `--annotator`, else `$USER`, else "unknown".
    static func annotator(_ given: String?) -> String {
        if let given, !given.isEmpty { return given }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "unknown"
    }
}
