import Foundation
import PlanktermCore
import ZIPFoundation

/// Where `--labels` reads from: one CSV or EcoTaxa TSV, a folder holding EcoTaxa exports (every
/// `ecotaxa_*.tsv` below it, as EcoTaxa writes one per sample), or a `.zip` of such a folder (only its
/// TSVs are read, straight from the archive; the images in it are not unpacked).
public enum LabelSource {
    /// Whether `name` is one of EcoTaxa's per-sample export tables.
    static func isEcoTaxaTable(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("ecotaxa_") && lower.hasSuffix(".tsv")
    }

    /// At most this many bytes of TSV are read from one archive (a zip bomb is refused, not unpacked).
    static let archiveLimit: UInt64 = 1 << 30

    /// The label files at `path`, in path order.
    public static func read(path: String, columns: LabelColumns = LabelColumns()) throws(ProjectError) -> [LabelFile] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .labelFileUnreadable(path: path, reason: "no such file or folder")
        }
        if isFolder.boolValue { return try readFolder(path, columns: columns) }
        if path.lowercased().hasSuffix(".zip") || startsLikeZip(path) { return try readArchive(path, columns: columns) }
        return [try LabelFile.read(path: path, columns: columns)]
    }

    static func readFolder(_ folder: String, columns: LabelColumns) throws(ProjectError) -> [LabelFile] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw .labelFileUnreadable(path: folder, reason: "cannot list the folder")
        }
        var tables: [String] = []
        while let relative = walker.nextObject() as? String {
            if isEcoTaxaTable((relative as NSString).lastPathComponent) { tables.append(relative) }
        }
        guard !tables.isEmpty else {
            throw .labelFileUnreadable(
                path: folder, reason: "a folder of labels holds EcoTaxa exports (ecotaxa_*.tsv), and this one has none")
        }
        var files: [LabelFile] = []
        for relative in tables.sorted() {
            files.append(try LabelFile.read(path: folder + "/" + relative, columns: columns))
        }
        return files
    }

    static func readArchive(_ path: String, columns: LabelColumns) throws(ProjectError) -> [LabelFile] {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw .labelFileUnreadable(path: path, reason: "not a readable zip archive (\(ErrorText.describe(error)))")
        }
        var files: [LabelFile] = []
        var total: UInt64 = 0
        let entries = archive.filter { $0.type == .file && isEcoTaxaTable(($0.path as NSString).lastPathComponent) }
        for entry in entries.sorted(by: { $0.path < $1.path }) {
            total += entry.uncompressedSize
            guard total <= archiveLimit else {
                throw .labelFileUnreadable(
                    path: path, reason: "its tables unpack to more than \(archiveLimit >> 20) MB")
            }
            var data = Data()
            do {
                _ = try archive.extract(entry) { chunk in
                    data.append(chunk)
                    if UInt64(data.count) > entry.uncompressedSize {
                        throw ProjectError.labelFileUnreadable(path: path, reason: "an entry is longer than it says")
                    }
                }
            } catch let error as ProjectError {
                throw error
            } catch {
                throw .labelFileUnreadable(
                    path: path + "/" + entry.path, reason: "cannot unpack it (\(ErrorText.describe(error)))")
            }
            files.append(try LabelFile.parse(data, path: path + "/" + entry.path, columns: columns))
        }
        guard !files.isEmpty else {
            throw .labelFileUnreadable(path: path, reason: "the archive holds no EcoTaxa export (ecotaxa_*.tsv)")
        }
        return files
    }

    /// A file whose first bytes are a zip's local-header signature.
    static func startsLikeZip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04])
    }
}
