import Dispatch
import Foundation
import Imaging
import PlanktermCore
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// The project's images preprocessed for the encoder (`Preprocessor`: luma, light-on-dark polarity,
/// padded square, resized to `side`), one `side`×`side` byte row per image, in `cache/pixels-<side>.u8`
/// with the image ids in `cache/pixels-<side>.ids`.
///
/// Built once and extended incrementally; training reads the rows of a batch with `pread`, so memory
/// does not grow with the number of images. `cache/pixels-<side>.sum` holds a 64-bit FNV-1a hash of each
/// row: on opening, a row that is not what was written (a damaged or overwritten cache) is decoded again
/// rather than fed to the encoder.
public final class PixelCache: @unchecked Sendable {
    public let side: Int
    public let path: String
    /// image → row.
    public private(set) var rows: [ImageID: Int] = [:]
    private var fd: Int32 = -1

    public var rowBytes: Int { side * side }

    /// Opens (building or extending as needed) the cache of `images` for the project in `directory`.
    public init(
        directory: String, side: Int, images: [(id: ImageID, path: String)], imagesRoot: String,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        self.side = side
        let layout = ProjectLayout(directory: directory)
        try FileManager.default.createDirectory(atPath: layout.cacheFolder, withIntermediateDirectories: true)
        let files = layout.pixelCache(side: side)
        path = files.pixels
        let idsPath = files.ids, sumsPath = files.sums
        var ids = Self.readWords(idsPath).map { Int64(bitPattern: $0) }
        var sums = Self.readWords(sumsPath)
        // Keep only rows that are really in the pixel file and hashed (an interrupted build leaves ids
        // behind; a cache from before the hashes is built again).
        let pixelBytes = Int(DerivedFile.size(path) ?? 0)
        let kept = min(ids.count, sums.count, pixelBytes / (side * side))
        ids = Array(ids.prefix(kept))
        sums = Array(sums.prefix(kept))
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno()) }
        if ftruncate(fd, off_t(ids.count * side * side)) != 0 {
            throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno())
        }
        var buffer = [UInt8](repeating: 0, count: side * side)
        for (row, id) in ids.enumerated() {
            let intact = buffer.withUnsafeMutableBufferPointer { b in
                pread(fd, b.baseAddress, b.count, off_t(row * b.count)) == b.count
                    && Self.hash(UnsafeRawBufferPointer(b)) == sums[row]
            }
            if intact { rows[ImageID(id)] = row }
        }
        let missing = images.filter { rows[$0.id] == nil }
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
                    pixels = preprocessor(image.image).image.pixels
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
            guard written == bytes.count else {
                throw ProjectError.writeFailed(
                    path: path, reason: written < 0 ? ErrorText.lastErrno() : "short write (disk full?)")
            }
            for (i, image) in batch.enumerated() {
                rows[image.id] = ids.count + i
            }
            ids += batch.map(\.id.rawValue)
            bytes.withUnsafeBytes { raw in
                for i in 0..<batch.count {
                    sums.append(
                        Self.hash(UnsafeRawBufferPointer(rebasing: raw[(i * side * side)..<((i + 1) * side * side)])))
                }
            }
            try ids.withUnsafeBytes { try DerivedFile.write($0, to: idsPath) }
            try sums.withUnsafeBytes { try DerivedFile.write($0, to: sumsPath) }
            done += batch.count
            progress(done, missing.count)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// A file of little-endian 64-bit words (empty when missing).
    static func readWords(_ path: String) -> [UInt64] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self) }
        }
    }

    /// 64-bit FNV-1a of a row.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// Reads row `row` into `buffer` (side·side bytes).
    public func read(row: Int, into buffer: UnsafeMutablePointer<UInt8>) {
        let n = pread(fd, buffer, rowBytes, off_t(row * rowBytes))
        if n != rowBytes { buffer.update(repeating: 0, count: rowBytes) }
    }
}
