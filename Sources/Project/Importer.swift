import Dispatch
import Foundation
import Imaging
import PlanktermCore
import Store

/// Whether the first folder level under the images root names classes (`DIR/<class>/img.png`).
public enum FolderLabels: String, Sendable, CaseIterable {
    /// Yes when no label file is given and at least two top-level folders hold images.
    case auto
    case on
    case off
}

/// How an import runs.
public struct ImportOptions: Sendable {
    public var imagesRoot: String
    public var labelFile: String?
    public var labelColumns: LabelColumns
    public var folderLabels: FolderLabels
    /// Who gave labels that a file does not attribute (default `$USER`).
    public var annotator: String
    /// Let imported labels replace labels given in plankterm itself (by default those win).
    public var replaceLabels: Bool
    public var maxPixels: Int
    /// Files read, hashed and decoded per transaction.
    public var batchSize: Int

    public init(
        imagesRoot: String, labelFile: String? = nil, labelColumns: LabelColumns = LabelColumns(),
        folderLabels: FolderLabels = .auto, annotator: String, replaceLabels: Bool = false,
        maxPixels: Int = ImageDecoder.defaultMaxPixels, batchSize: Int = 4096
    ) {
        self.imagesRoot = imagesRoot
        self.labelFile = labelFile
        self.labelColumns = labelColumns
        self.folderLabels = folderLabels
        self.annotator = annotator
        self.replaceLabels = replaceLabels
        self.maxPixels = maxPixels
        self.batchSize = batchSize
    }
}

/// What an import did.
public struct ImportReport: Sendable, Codable, Equatable {
    public var scanned = 0
    public var added = 0
    public var changed = 0
    public var unchanged = 0
    public var moved = 0
    public var reappeared = 0
    /// Paths that vanished in this run (their labels are kept).
    public var vanished: [String] = []
    /// Images of this run that could not be decoded.
    public var failed: [FailedImage] = []
    /// Non-image files skipped.
    public var otherFiles = 0
    /// Where labels came from: "folders", a file path, or both.
    public var labelSources: [String] = []
    public var labelsAdded = 0
    public var labelsUnchanged = 0
    /// Images whose label in plankterm differs from the imported one and was kept.
    public var labelConflicts: [String] = []
    /// Rows of the label file that match no image (the paths as written).
    public var unmatchedLabels: [String] = []
    /// Rows of the label file (1-based data rows) that name an image but give no class: their images keep
    /// the labels they have.
    public var emptyLabelRows: [Int] = []
    /// Images that the label file gives two different labels: neither is taken.
    public var conflictingRows: [String] = []
    /// Entries under the images folder that could not be looked at (unreadable folders, names that are not
    /// UTF-8), with the reason.
    public var skipped: [FailedImage] = []
    public var seconds = 0.0
}

/// Imports a folder of images, and labels for them, into a project; incremental and idempotent.
///
/// Unchanged files (same size and mtime) are not read again; changed files are re-read and keep their
/// id and labels; a new file with the hash of a vanished one is taken as moved; vanished files are
/// marked missing, never deleted. Images are stored in batches, one transaction each, so an interrupted
/// import keeps what it finished and the next run carries on. Labels are appended in one transaction.
public struct Importer: Sendable {
    public var store: ProjectStore
    public var clock: any Clock

    public init(store: ProjectStore, clock: any Clock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Runs the import; `progress(done, total)` is called after each stored batch.
    public func run(
        _ options: ImportOptions,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> ImportReport {
        let started = Date()
        let root = options.imagesRoot
        var report = ImportReport()
        // Parse the label file first: a bad label file stops the import before anything is written.
        let labelFiles =
            try options.labelFile.map { try LabelSource.read(path: $0, columns: options.labelColumns) } ?? []
        let scan = try FolderScanner.scan(root: root)
        report.scanned = scan.files.count
        report.otherFiles = scan.otherFiles
        report.skipped = scan.skipped
        try storeImages(scan.files, options: options, report: &report, progress: progress)

        // Labels.
        let known = try store.imageFingerprints()
        var wanted: [String: LabelRecord] = [:]  // image path → label
        if Self.usesFolderLabels(options.folderLabels, files: scan.files, labelFiles: labelFiles) {
            wanted = Self.folderLabels(scan.files, root: root)
            report.labelSources.append("folders")
        }
        if !labelFiles.isEmpty {
            try mergeFileLabels(
                labelFiles, source: options.labelFile ?? "", root: root, known: known,
                into: &wanted, report: &report)
        }
        try applyLabels(wanted, known: known, options: options, report: &report)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Brings the stored images in line with the scanned `files`: unchanged files are not read again,
    /// changed and new ones are read in batches, and stored images whose files are gone are marked missing
    /// (unless a new file with the same hash shows they moved).
    private func storeImages(
        _ files: [ScannedFile], options: ImportOptions, report: inout ImportReport,
        progress: (Int, Int) -> Void
    ) throws {
        let known = try store.imageFingerprints()
        let scannedPaths = Set(files.map(\.path))
        var vanished = known.values.filter { !$0.missing && !scannedPaths.contains($0.path) }
        var movable: [String: [ImageID]] = [:]  // hash → missing or vanished images, for move detection
        for fp in known.values where fp.missing || !scannedPaths.contains(fp.path) {
            if let hash = fp.hash, !fp.failed { movable[hash, default: []].append(fp.id) }
        }
        let toInspect = try filesToInspect(files, known: known, report: &report)
        let movedIDs = try inspectAndSave(
            toInspect, movable: movable, options: options, report: &report,
            progress: progress)
        vanished.removeAll { movedIDs.contains($0.id) }
        try store.setMissing(vanished.map(\.id), missing: true, time: clock.now())
        report.vanished = vanished.map(\.path).sorted()
    }

    /// The files to read: new ones (no id) and changed ones (the id they keep). Unchanged files (same size
    /// and mtime) are counted, and those marked missing are marked present again.
    private func filesToInspect(
        _ files: [ScannedFile], known: [String: ImageFingerprint],
        report: inout ImportReport
    ) throws -> [(ScannedFile, ImageID?)] {
        var toInspect: [(ScannedFile, ImageID?)] = []
        var reappeared: [ImageID] = []
        for file in files {
            if let fp = known[file.path] {
                if fp.byteSize == file.byteSize && fp.modifiedAt == file.modifiedAt {
                    report.unchanged += 1
                    if fp.missing { reappeared.append(fp.id) }
                } else {
                    toInspect.append((file, fp.id))
                }
            } else {
                toInspect.append((file, nil))
            }
        }
        if !reappeared.isEmpty {
            try store.setMissing(reappeared, missing: false, time: clock.now())
            report.reappeared = reappeared.count
        }
        return toInspect
    }

    /// Reads, hashes and decodes `toInspect` and stores the results, one transaction per batch. A new file
    /// whose hash is in `movable` takes over one of those images; returns the ids taken over so.
    private func inspectAndSave(
        _ toInspect: [(ScannedFile, ImageID?)], movable: [String: [ImageID]],
        options: ImportOptions, report: inout ImportReport,
        progress: (Int, Int) -> Void
    ) throws -> Set<ImageID> {
        var movable = movable
        let inspector = ImageInspector(decoder: ImageDecoder(maxPixels: options.maxPixels))
        var movedIDs = Set<ImageID>()
        var done = 0
        for start in stride(from: 0, to: toInspect.count, by: max(1, options.batchSize)) {
            let batch = Array(toInspect[start..<min(toInspect.count, start + options.batchSize)])
            let facts = Self.inspectInParallel(batch.map(\.0), root: options.imagesRoot, inspector: inspector)
            var inserts: [ImageFacts] = []
            var updates: [(ImageID, ImageFacts)] = []
            for (item, fact) in zip(batch, facts) {
                if let id = item.1 {
                    updates.append((id, fact))
                    report.changed += 1
                } else if let hash = fact.hash, fact.failure == nil, var candidates = movable[hash],
                    let id = candidates.popLast()
                {
                    movable[hash] = candidates
                    updates.append((id, fact))
                    movedIDs.insert(id)
                    report.moved += 1
                } else {
                    inserts.append(fact)
                    report.added += 1
                }
                if let failure = fact.failure { report.failed.append(FailedImage(path: fact.path, reason: failure)) }
            }
            try store.saveImages(inserting: inserts, updating: updates, importedAt: clock.now())
            done += batch.count
            progress(done, toInspect.count)
        }
        return movedIDs
    }

    /// Whether the first folder level names classes: `.auto` means yes when no label file is given and at
    /// least two top-level folders hold images.
    private static func usesFolderLabels(
        _ setting: FolderLabels, files: [ScannedFile],
        labelFiles: [LabelFile]
    ) -> Bool {
        switch setting {
        case .on: return true
        case .off: return false
        case .auto:
            let topFolders = Set(
                files.compactMap { f -> Substring? in
                    let parts = f.path.split(separator: "/")
                    return parts.count == 2 ? parts[0] : nil
                })
            return labelFiles.isEmpty && topFolders.count >= 2
        }
    }

    /// image path → the validated label its top-level folder names (mapped back through `class_names.csv`).
    private static func folderLabels(_ files: [ScannedFile], root: String) -> [String: LabelRecord] {
        let names = ClassFolderNames.read(root: root)
        var labels: [String: LabelRecord] = [:]
        for file in files {
            let parts = file.path.split(separator: "/")
            guard parts.count == 2 else { continue }
            let folder = String(parts[0])
            labels[file.path] = LabelRecord(
                row: 0, path: file.path, className: names[folder] ?? folder,
                status: .validated, annotator: nil, time: nil)
        }
        return labels
    }

    /// Stores the label files' metadata fields and puts their labels into `wanted` (over folder labels);
    /// an image the files give two different labels gets none. `source` is the `--labels` path.
    private func mergeFileLabels(
        _ labelFiles: [LabelFile], source: String, root: String,
        known: [String: ImageFingerprint], into wanted: inout [String: LabelRecord],
        report: inout ImportReport
    ) throws {
        var fields: [(ImageID, name: String, value: String)] = []
        var fromFile: [String: LabelRecord] = [:]
        var conflicting = Set<String>()
        // One resolver per file: relative paths in a sample's TSV are relative to that TSV.
        let records = labelFiles.flatMap { file in
            let resolver = PathResolver(root: root, labelFile: file.path, known: Set(known.keys))
            return file.records.map { (record: $0, resolved: resolver.resolve($0.path)) }
        }
        for (record, resolved) in records {
            guard let path = resolved else {
                report.unmatchedLabels.append(record.path)
                continue
            }
            if let id = known[path]?.id {
                for (name, value) in record.fields.sorted(by: { $0.key < $1.key }) { fields.append((id, name, value)) }
            }
            guard record.className != nil else {
                report.emptyLabelRows.append(record.row)
                continue
            }
            if let earlier = fromFile[path], earlier.className != record.className || earlier.status != record.status {
                conflicting.insert(path)
            }
            fromFile[path] = record
        }
        for (path, record) in fromFile where !conflicting.contains(path) { wanted[path] = record }
        for path in conflicting { wanted.removeValue(forKey: path) }
        report.conflictingRows = conflicting.sorted()
        try store.setFields(fields)
        report.labelSources.append(
            labelFiles.count == 1 && labelFiles[0].path == source
                ? source : "\(source) (\(labelFiles.count) tables)")
    }

    private func applyLabels(
        _ wanted: [String: LabelRecord], known: [String: ImageFingerprint],
        options: ImportOptions, report: inout ImportReport
    ) throws {
        guard !wanted.isEmpty else { return }
        let states = try store.labelStates()
        let now = clock.now()
        var drafts: [AnnotationDraft] = []
        for (path, record) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let id = known[path]?.id, let className = record.className else { continue }
            let state = states[id]
            if let last = state?.lastImported, last.className == className, last.status == record.status {
                report.labelsUnchanged += 1
                continue
            }
            if let current = state?.current {
                if current.className == className && current.status == record.status {
                    report.labelsUnchanged += 1
                    continue
                }
                let humanWork = current.source != "import" && current.status != .predicted
                if humanWork && !options.replaceLabels {
                    report.labelConflicts.append(path)
                    continue
                }
            }
            drafts.append(
                AnnotationDraft(
                    imageID: id, className: className, status: record.status,
                    annotator: record.annotator ?? options.annotator,
                    time: record.time ?? now, source: "import",
                    confidence: record.confidence))
        }
        try store.append(drafts)
        report.labelsAdded = drafts.count
    }

    /// Reads, hashes and decodes `files` on all cores; results in the same order.
    static func inspectInParallel(_ files: [ScannedFile], root: String, inspector: ImageInspector) -> [ImageFacts] {
        let slots = ResultSlots<ImageFacts>(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            slots.set(i, inspector.inspect(files[i], root: root))
        }
        return slots.values()
    }
}

/// Fixed slots written concurrently, each by exactly one worker, then read once all are done.
///
/// The slots are one raw allocation, so no copy-on-write check runs while workers write.
final class ResultSlots<T>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    func set(_ i: Int, _ value: T) { storage[i] = value }

    func values() -> [T] { storage.map { $0! } }
}

/// Maps image paths as written in a label file to paths relative to the images root.
///
/// Tried in order: relative to the root; relative to the label file's folder; absolute; and, last, a
/// file name that occurs exactly once under the root.
struct PathResolver {
    let root: String
    let fileFolder: String
    let known: Set<String>
    let byName: [String: [String]]

    init(root: String, labelFile: String, known: Set<String>) {
        self.root = Self.canonical(root)
        self.fileFolder = Self.canonical((labelFile as NSString).deletingLastPathComponent)
        self.known = known
        var names: [String: [String]] = [:]
        for path in known { names[(path as NSString).lastPathComponent, default: []].append(path) }
        byName = names
    }

    static func canonical(_ path: String) -> String {
        let absolute =
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + (path.isEmpty ? "." : path)
        return URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
    }

    func resolve(_ written: String) -> String? {
        var p = written.replacingOccurrences(of: "\\", with: "/")
        while p.hasPrefix("./") { p.removeFirst(2) }
        if known.contains(p) { return p }
        let absolute = p.hasPrefix("/") ? Self.canonical(p) : Self.canonical(fileFolder + "/" + p)
        if absolute.hasPrefix(root + "/") {
            let relative = String(absolute.dropFirst(root.count + 1))
            if known.contains(relative) { return relative }
        }
        if let candidates = byName[(p as NSString).lastPathComponent], candidates.count == 1 { return candidates[0] }
        return nil
    }
}

/// `class_names.csv` at the images root (written by ImageFolder exports) maps folder names back to class
/// names that were not safe as folder names.
public enum ClassFolderNames {
    public static let fileName = "class_names.csv"

    /// folder → class, empty when the root has no such file.
    public static func read(root: String) -> [String: String] {
        let path = root + "/" + fileName
        guard FileManager.default.fileExists(atPath: path),
            let file = try? LabelFile.read(path: path, columns: LabelColumns(path: "folder", label: "class"))
        else { return [:] }
        var map: [String: String] = [:]
        for record in file.records { if let name = record.className { map[record.path] = name } }
        return map
    }
}
