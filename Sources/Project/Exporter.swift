import CSV
import Foundation
import PlanktermCore
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One CSV: path, label, status, annotator, time, confidence, hash.
    case csv
    /// A folder EcoTaxa can import: an `ecotaxa_*.tsv` with its type row, and the images beside it.
    case ecotaxa
    /// A folder per class holding its images (PyTorch's ImageFolder), with `labels.csv` and
    /// `class_names.csv` beside them.
    case imagefolder
    /// A folder with `embeddings.npy` (N×D float32, L2-normalised, of the newest embedded encoder) and
    /// `index.csv` (path, label, status for each row, same order).
    case npy
}

/// What to export and where.
public struct ExportOptions: Sendable {
    public var format: ExportFormat
    public var output: String
    /// Statuses included (default: validated only).
    public var statuses: Set<LabelStatus>
    /// Leave out labels with a confidence below this (labels without a confidence are kept).
    public var minConfidence: Double?
    /// Replace an existing output.
    public var force: Bool
    /// For npy: the encoder whose embeddings to write (default: the newest one with embeddings).
    public var modelId: String? = nil

    public init(
        format: ExportFormat, output: String, statuses: Set<LabelStatus> = [.validated],
        minConfidence: Double? = nil, force: Bool = false
    ) {
        self.format = format
        self.output = output
        self.statuses = statuses
        self.minConfidence = minConfidence
        self.force = force
    }
}

/// What an export wrote.
public struct ExportReport: Sendable, Codable, Equatable {
    public var output: String
    public var labels = 0
    public var files = 0
    /// Labelled images whose file is missing or could not be decoded: listed in the label file only
    /// for csv, left out of folder exports.
    public var skippedFiles = 0
}

/// Writes a project's labels in one of the export formats, atomically: everything goes to a temporary
/// name beside the output and is renamed into place at the end, so a reader never sees half an export.
public struct Exporter: Sendable {
    public var store: ProjectStore
    public var imagesRoot: String
    public var clock: any Clock

    public init(store: ProjectStore, imagesRoot: String, clock: any Clock = SystemClock()) {
        self.store = store
        self.imagesRoot = imagesRoot
        self.clock = clock
    }

    public func run(_ options: ExportOptions) throws -> ExportReport {
        let output =
            options.output.hasSuffix("/") && options.output.count > 1
            ? String(options.output.dropLast()) : options.output
        try OutputGuard.check(
            output,
            protecting: [
                ("the project folder", store.directory),
                ("the images folder", imagesRoot)
            ])
        if FileManager.default.fileExists(atPath: output) && !options.force {
            throw ProjectError.exportFailed(path: output, reason: "it already exists (add --force to replace it)")
        }
        var labels = try store.currentLabels(statuses: options.statuses)
        if options.statuses.contains(.predicted) {
            labels = try withModelPredictions(labels, statuses: options.statuses)
        }
        if let minimum = options.minConfidence {
            labels.removeAll { ($0.confidence ?? 1) < minimum }
        }
        let usable = try usableImages()
        let parent = (output as NSString).deletingLastPathComponent
        let temporary =
            (parent.isEmpty ? "." : parent) + "/." + (output as NSString).lastPathComponent
            + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var report = ExportReport(output: output)
        do {
            switch options.format {
            case .csv:
                try writeCSV(labels, to: temporary)
                try writeProvenance(options, labels: labels, to: temporary + ".provenance.json")
                report.labels = labels.count
            case .npy:
                try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
                report.labels = try writeNumPy(folder: temporary, options: options)
                try writeProvenance(options, labels: labels, to: temporary + "/provenance.json")
            case .ecotaxa, .imagefolder:
                // Folder formats carry the image files, so only images that are there can go in.
                try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
                let kept = labels.filter { usable.contains($0.path) }
                report.skippedFiles = labels.count - kept.count
                if options.format == .ecotaxa {
                    try writeEcoTaxa(kept, folder: temporary)
                } else {
                    try writeImageFolder(kept, folder: temporary)
                }
                report.files = kept.count
                report.labels = kept.count
                try writeProvenance(options, labels: kept, to: temporary + "/provenance.json")
            }
            try replace(output, with: temporary)
            if options.format == .csv {
                try replace(output + ".provenance.json", with: temporary + ".provenance.json")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            try? FileManager.default.removeItem(atPath: temporary + ".provenance.json")
            if let error = error as? ProjectError { throw error }
            throw ProjectError.exportFailed(path: output, reason: ErrorText.describe(error))
        }
        return report
    }

    /// The current classifier's predictions join the labels as `predicted` for images without a validated
    /// or dubious label (replacing predictions imported from elsewhere), in path order. The class exported
    /// is the model's call (the balanced decision, "rare-class view"), its confidence the probability of
    /// that class in this sample.
    private func withModelPredictions(_ labels: [CurrentLabel], statuses: Set<LabelStatus>) throws -> [CurrentLabel] {
        try ClassifierRun.upgradeCalls(store: store)
        guard let model = try store.currentClassifier() else { return labels }
        let predictions = try store.predictions(model: model.id)
        let names = try store.classNames()
        let expert = Set(try store.currentLabels(statuses: [.validated, .dubious]).map(\.imageID))
        let fingerprints = try store.imageFingerprints()
        var merged = labels.filter { $0.status != .predicted }
        for (path, image) in fingerprints where !image.missing && !image.failed {
            guard !expert.contains(image.id), let p = predictions[image.id], let name = names[p.classID] else {
                continue
            }
            merged.append(
                CurrentLabel(
                    imageID: image.id, path: path, hash: image.hash, className: name, status: .predicted,
                    annotator: "plankterm", time: model.createdAt, source: "model:\(model.id)",
                    confidence: p.confidence))
        }
        return merged.sorted { $0.path < $1.path }
    }

    /// Paths of images whose file is present and decodable.
    private func usableImages() throws -> Set<String> {
        Set(try store.imageFingerprints().values.filter { !$0.missing && !$0.failed }.map(\.path))
    }

    /// Moves `temporary` to `output`; an existing output is swapped out first and removed after.
    private func replace(_ output: String, with temporary: String) throws {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: output, isDirectory: &isDir)
        if exists && isDir.boolValue {
            let old = temporary + ".old"
            guard rename(output, old) == 0 else { throw posixError("cannot move the old export aside", path: output) }
            guard rename(temporary, output) == 0 else {
                let error = posixError("cannot move the export into place", path: output)
                _ = rename(old, output)
                throw error
            }
            try? FileManager.default.removeItem(atPath: old)
        } else {
            // rename(2) replaces a file atomically.
            guard rename(temporary, output) == 0 else {
                throw posixError("cannot move the export into place", path: output)
            }
        }
    }

    /// Call right after the failing system call, before anything can change errno.
    private func posixError(_ what: String, path: String) -> ProjectError {
        .exportFailed(path: path, reason: "\(what): \(ErrorText.lastErrno())")
    }

    private func writeRows(_ rows: [[String]], to path: String, delimiter: String = ",") throws {
        let stream = OutputStream.toMemory()
        let writer = try CSVWriter(stream: stream, delimiter: delimiter, newline: .lf)
        for row in rows { try writer.write(row: row) }
        writer.stream.close()
        guard var data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data else {
            throw ProjectError.exportFailed(path: path, reason: "the CSV writer produced nothing")
        }
        data.append(0x0A)
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func csvRow(_ l: CurrentLabel) -> [String] {
        [
            l.path, l.className, l.status.rawValue, l.annotator, Timestamps.iso(l.time),
            l.confidence.map { String($0) } ?? "", l.hash ?? "", probability(l)
        ]
    }

    /// The calibrated probability of the exported label: 1 for a validated label, the model's (or the
    /// imported) probability for a prediction, empty for dubious labels.
    private func probability(_ l: CurrentLabel) -> String {
        switch l.status {
        case .validated: "1"
        case .predicted: l.confidence.map { String(format: "%.6f", $0) } ?? ""
        case .dubious: ""
        }
    }

    private func writeCSV(_ labels: [CurrentLabel], to path: String) throws {
        var rows = [["path", "label", "status", "annotator", "time", "confidence", "hash", "probability"]]
        rows += labels.map(csvRow)
        try writeRows(rows, to: path)
    }

    private func writeEcoTaxa(_ labels: [CurrentLabel], folder: String) throws {
        let header = [
            "img_file_name", "object_id", "object_annotation_category", "object_annotation_status",
            "object_annotation_person_name", "object_annotation_date", "object_annotation_time"
        ]
        var rows = [header, Array(repeating: "[t]", count: header.count)]
        var objectIDs = Set<String>()
        for l in labels {
            try linkOrCopy(imagesRoot + "/" + l.path, to: folder + "/" + l.path)
            var objectID = ((l.path as NSString).deletingPathExtension as String)
                .replacingOccurrences(of: "/", with: "_")
            if objectIDs.contains(objectID) { objectID += "_\(l.imageID.rawValue)" }
            objectIDs.insert(objectID)
            let (date, time) = Timestamps.ecoTaxa(l.time)
            rows.append([l.path, objectID, l.className, l.status.rawValue, l.annotator, date, time])
        }
        try writeRows(rows, to: folder + "/ecotaxa_export.tsv", delimiter: "\t")
    }

    private func writeImageFolder(_ labels: [CurrentLabel], folder: String) throws {
        let folders = SafeName.assign(labels.map(\.className))
        for name in Set(folders.values) {
            try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
        }
        var used = Set<String>()
        var rows = [["path", "label", "status", "annotator", "time", "confidence", "hash", "original_path"]]
        for l in labels {
            let classFolder = folders[l.className]!
            let fileName = SafeName.sanitize((l.path as NSString).lastPathComponent)
            var relative = classFolder + "/" + fileName
            if used.contains(relative.lowercased()) {
                let ext = (fileName as NSString).pathExtension
                let stem = (fileName as NSString).deletingPathExtension
                relative = classFolder + "/" + stem + "-\(l.imageID.rawValue)" + (ext.isEmpty ? "" : "." + ext)
            }
            used.insert(relative.lowercased())
            try linkOrCopy(imagesRoot + "/" + l.path, to: folder + "/" + relative)
            var row = csvRow(l)
            row[0] = relative
            rows.append(row + [l.path])
        }
        try writeRows(rows, to: folder + "/labels.csv")
        let names = [["folder", "class"]] + folders.sorted { $0.value < $1.value }.map { [$0.value, $0.key] }
        try writeRows(names, to: folder + "/" + ClassFolderNames.fileName)
    }

    /// Writes embeddings.npy and index.csv for every embedded image (labels filtered as asked; images
    /// without such a label get an empty label); returns the number of rows.
    private func writeNumPy(folder: String, options: ExportOptions) throws -> Int {
        let embedded = try EncoderCatalogue(store: store).encoders().filter {
            !((try? store.embeddingRows(modelId: $0.id))?.isEmpty ?? true)
        }
        guard let model = options.modelId.map({ id in embedded.first { $0.id == id } }) ?? embedded.first else {
            throw ProjectError.exportFailed(
                path: options.output,
                reason: options.modelId.map { "no embeddings of model \($0) (run 'plankterm embed')" }
                    ?? "the project has no embeddings yet (run 'plankterm embed')")
        }
        let rows = try store.embeddingRows(modelId: model.id)
        // The same checks as every other reader: a damaged file is refused, never exported.
        let dimension = try ProjectEmbeddings.dimension(project: store.directory, encoderId: model.id)
        let matrix = try ProjectEmbeddings.verified(
            project: store.directory, encoderId: model.id, dimension: dimension,
            rows: rows)
        var labels = [ImageID: CurrentLabel]()
        for l in try store.currentLabels(statuses: options.statuses)
        where (l.confidence ?? 1) >= (options.minConfidence ?? 0) {
            labels[l.imageID] = l
        }
        let images = try store.usableImages().filter { rows[$0.id] != nil }.sorted { $0.path < $1.path }
        var values = [Float](repeating: 0, count: images.count * dimension)
        for (i, image) in images.enumerated() {
            let row = matrix.row(rows[image.id]!)
            for k in 0..<dimension { values[i * dimension + k] = row[k] }
        }
        try values.withUnsafeBytes {
            try NumPyFile.write(rows: images.count, columns: dimension, values: $0, to: folder + "/embeddings.npy")
        }
        var index = [["path", "label", "status"]]
        for image in images {
            let l = labels[image.id]
            index.append([image.path, l?.className ?? "", l?.status.rawValue ?? ""])
        }
        try writeRows(index, to: folder + "/index.csv")
        // Rows stored on principal axes go out with the map from the encoder's features to them.
        if let name = try EmbeddingsInfo.read(project: store.directory, modelId: model.id).projection {
            let target = folder + "/projection.safetensors"
            _ = try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(
                atPath: ProjectLayout(directory: store.directory).projection(named: name), toPath: target)
        }
        return images.count
    }

    /// Hard-links `source` to `target` (same file system), or copies it.
    private func linkOrCopy(_ source: String, to target: String) throws {
        let dir = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if link(source, target) == 0 { return }
        try FileManager.default.copyItem(atPath: source, toPath: target)
    }

    private func writeProvenance(_ options: ExportOptions, labels: [CurrentLabel], to path: String) throws {
        var byStatus: [String: Int] = [:]
        for l in labels { byStatus[l.status.rawValue, default: 0] += 1 }
        let provenance = ExportProvenance(
            tool: "plankterm \(PlanktermVersion.string)",
            exportedAt: Timestamps.iso(clock.now()),
            project: PathResolver.canonical(store.directory),
            projectId: (try? store.meta("projectId")) ?? "",
            imagesRoot: imagesRoot,
            format: options.format.rawValue,
            statuses: options.statuses.map(\.rawValue).sorted(),
            minConfidence: options.minConfidence,
            labels: labels.count,
            labelsByStatus: byStatus,
            classes: Set(labels.map(\.className)).count)
        let data = try provenance.data()
        try data.write(to: URL(fileURLWithPath: path))
    }
}
