import Dispatch
import Foundation
import Imaging
import PlanktermCore
import Store
#if canImport(Glibc)
import Glibc
#endif

/// The project's images preprocessed for the encoder (METHODS §2: luma, light-on-dark polarity, padded
/// square, resized to `side`), one `side`×`side` byte row per image, in `cache/pixels-<side>.u8` with the
/// image ids in `cache/pixels-<side>.ids`.
///
/// Built once and extended incrementally; training reads the rows of a batch with `pread`, so memory
/// does not grow with the number of images.
public final class PixelCache: @unchecked Sendable {
    public let side: Int
    public let path: String
    /// image → row.
    public private(set) var rows: [ImageID: Int] = [:]
    private var fd: Int32 = -1

    public var rowBytes: Int { side * side }

    /// Opens (building or extending as needed) the cache of `images` for the project in `directory`.
    public init(directory: String, side: Int, images: [(id: ImageID, path: String)], imagesRoot: String,
                progress: (Int, Int) -> Void = { _, _ in }) throws {
        self.side = side
        let folder = directory + "/cache"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/pixels-\(side).u8"
        let idsPath = folder + "/pixels-\(side).ids"
        var ids: [Int64] = []
        if let data = FileManager.default.contents(atPath: idsPath) {
            ids = data.withUnsafeBytes { raw in (0..<(data.count / 8)).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) } }
        }
        // Keep only rows that are really in the pixel file (an interrupted build leaves ids behind).
        let pixelBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        ids = Array(ids.prefix(pixelBytes / (side * side)))
        for (row, id) in ids.enumerated() { rows[ImageID(id)] = row }
        let missing = images.filter { rows[$0.id] == nil }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProjectError.exportFailed(path: path, reason: String(cString: strerror(errno))) }
        if ftruncate(fd, off_t(ids.count * side * side)) != 0 {
            throw ProjectError.exportFailed(path: path, reason: String(cString: strerror(errno)))
        }
        guard !missing.isEmpty else { return }
        let preprocessor = Preprocessor(side: side, polarity: .lightOnDark)
        let decoder = ImageDecoder()
        var done = 0
        for start in stride(from: 0, to: missing.count, by: 2048) {
            let batch = Array(missing[start..<min(missing.count, start + 2048)])
            let slots = ResultSlots<[UInt8]>(count: batch.count)
            DispatchQueue.concurrentPerform(iterations: batch.count) { i in
                let pixels: [UInt8]
                if let image = try? decoder.decodeFile(atPath: imagesRoot + "/" + batch[i].path, name: batch[i].path) {
                    pixels = preprocessor(PixelImage(image)).image.pixels
                } else {
                    pixels = [UInt8](repeating: 0, count: side * side)  // vanished since import: a blank row
                }
                slots.set(i, pixels)
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch.count * side * side)
            for pixels in slots.values() { bytes += pixels }
            let offset = off_t(ids.count * side * side)
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
            guard written == bytes.count else { throw ProjectError.exportFailed(path: path, reason: "short write") }
            for (i, image) in batch.enumerated() {
                rows[image.id] = ids.count + i
            }
            ids += batch.map(\.id.rawValue)
            let idData = ids.withUnsafeBytes { Data($0) }
            try idData.write(to: URL(fileURLWithPath: idsPath), options: .atomic)
            done += batch.count
            progress(done, missing.count)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Reads row `row` into `buffer` (side·side bytes).
    public func read(row: Int, into buffer: UnsafeMutablePointer<UInt8>) {
        let n = pread(fd, buffer, rowBytes, off_t(row * rowBytes))
        if n != rowBytes { buffer.update(repeating: 0, count: rowBytes) }
    }
}
