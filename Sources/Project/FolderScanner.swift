import Foundation
import Imaging
import PlanktermCore
import Store

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
        /// What could not be looked at, with the reason: folders that cannot be listed, names that are
        /// not valid UTF-8 (shown with their bytes escaped), entries that vanished or cannot be stat'ed.
        public var skipped: [FailedImage] = []
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
        var skipped: [FailedImage] = []
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? root : root + "/" + relative
            guard let dir = opendir(full) else {
                let reason = ErrorText.lastErrno()
                if relative.isEmpty { throw .imagesFolder(path: root, reason: reason) }
                // An unreadable subfolder is not fatal, but it is reported.
                skipped.append(FailedImage(path: relative + "/", reason: "cannot list the folder: \(reason)"))
                continue
            }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
                if bytes.first == UInt8(ascii: ".") { continue }
                guard let name = String(validating: bytes, as: UTF8.self) else {
                    // Such a file cannot be named in the database or a label file: report it, with its bytes.
                    let shown = bytes.map {
                        $0 < 0x80 && $0 >= 0x20 ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0)
                    }.joined()
                    skipped.append(
                        FailedImage(
                            path: relative.isEmpty ? shown : relative + "/" + shown,
                            reason: "the name is not valid UTF-8; rename it to import it"))
                    continue
                }
                let child = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard stat(root + "/" + child, &st) == 0 else {
                    skipped.append(FailedImage(path: child, reason: ErrorText.lastErrno()))
                    continue
                }
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
        skipped.sort { $0.path < $1.path }
        return Result(files: files, otherFiles: other, skipped: skipped)
    }
}
