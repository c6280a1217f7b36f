import Crypto
import Foundation
import PlanktermCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files plankterm derives from a project's images and labels (posteriors, neighbour graphs, reports):
/// written durably, and fingerprinted so that a reader can tell a damaged file from the one written.
enum DerivedFile {
    /// Writes `bytes` to `path` durably: a temporary file beside it, fsync, rename. The OS error, if any,
    /// is named in words ("no space left on device"), and no temporary file is left behind.
    static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(ProjectError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: folder, reason: ErrorText.describe(error))
        }
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: temporary, reason: ErrorText.lastErrno()) }
        var failure: String?
        var offset = 0
        while failure == nil && offset < bytes.count {
            let n = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { failure = n < 0 ? ErrorText.lastErrno() : "the write made no progress" } else { offset += n }
        }
        if failure == nil && fsync(fd) != 0 { failure = ErrorText.lastErrno() }
        if close(fd) != 0 && failure == nil { failure = ErrorText.lastErrno() }
        if failure == nil && rename(temporary, path) != 0 { failure = ErrorText.lastErrno() }
        if let failure {
            unlink(temporary)
            throw .writeFailed(path: path, reason: failure)
        }
    }

    /// Hex SHA-256 of `bytes`.
    static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The size of the file at `path`, nil if there is none.
    static func size(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }
}

/// write(2), named apart from `DerivedFile.write`.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
