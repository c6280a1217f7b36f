import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An image file found under the images root.
public struct ScannedFile: Sendable, Equatable {
    /// Relative to the root, `/`-separated.
    public var path: String
    public var byteSize: Int64
    /// mtime in seconds since 1970 (nanosecond resolution).
    public var modifiedAt: Double
}

/// Lists image files (by extension: .png, .jpg, .jpeg in any case) below a folder with `readdir`.
///
/// Hidden files and folders (name starting with `.`) are skipped; symbolic links are followed, each
/// folder (by device and inode) visited once, so link cycles end. The result is sorted by path.
public enum FolderScanner {
    public struct Result: Sendable {
        public var files: [ScannedFile]
        /// Regular files skipped because their extension is not an image's.
        public var otherFiles: Int
    }

    public static func scan(root: String) throws(ProjectError) -> Result {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            throw .imagesFolder(path: root, reason: "no such folder")
        }
        guard isDir.boolValue else { throw .imagesFolder(path: root, reason: "not a folder") }
        var files: [ScannedFile] = []
        var other = 0
        var pending: [String] = [""]
        var visited = Set<[UInt64]>()
        var rootStat = stat()
        if stat(root, &rootStat) == 0 { visited.insert([UInt64(rootStat.st_dev), UInt64(rootStat.st_ino)]) }
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? root : root + "/" + relative
            guard let dir = opendir(full) else {
                if relative.isEmpty {
                    throw .imagesFolder(path: root, reason: String(cString: strerror(errno)))
                }
                continue  // an unreadable subfolder is skipped, not fatal
            }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard stat(root + "/" + child, &st) == 0 else { continue }
                let kind = st.st_mode & S_IFMT
                if kind == S_IFDIR {
                    if visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted { pending.append(child) }
                } else if kind == S_IFREG {
                    let ext = (name as NSString).pathExtension.lowercased()
                    if ImageFormat.fileExtensions.contains(ext) {
                        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
                        files.append(ScannedFile(path: child, byteSize: Int64(st.st_size), modifiedAt: mtime))
                    } else {
                        other += 1
                    }
                }
            }
        }
        files.sort { $0.path < $1.path }
        return Result(files: files, otherFiles: other)
    }
}
