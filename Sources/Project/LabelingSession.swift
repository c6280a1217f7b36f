import Foundation
import Imaging
import Labeling
import Learning
import Neighbors
import PlanktermCore
import Store

/// What the labeling screen reads from a project: the queue, and for one image its thumbnail, label,
/// prediction, reason and neighbours. Loaded once per session; labels are re-read after each write.
public final class LabelingSession {
    public let store: ProjectStore
    public let imagesRoot: String
    public private(set) var queueName: String
    public private(set) var strategy: QueryStrategy
    public private(set) var queue: [ImageID] = []
    public private(set) var modelId: String?
    /// The current model's calibration caution (`CalibrationQuality.caution`), if any.
    public private(set) var modelCaution: String?
    public private(set) var classNames: [String] = []
    private var reasons: [ImageID: String] = [:]
    private var paths: [ImageID: ImageSummary] = [:]
    private var predictions: [ImageID: PredictionRecord] = [:]
    private var names: [Int64: String] = [:]
    private var labels: [ImageID: (String, LabelStatus)] = [:]
    private var embeddings: ProjectEmbeddings?
    private var graph: NeighborGraph?
    private var thumbnails: [ImageID: PixelImage] = [:]
    /// Images' own widths where the thumbnail is smaller (size-true thumbnails).
    private var fullWidths: [ImageID: Int] = [:]
    /// The last image decoded at its own resolution (the main image, for pixel graphics and zoom).
    private var lastPicture: (ImageID, PixelImage)?
    private let decoder = ImageDecoder()

    /// Opens a session on the queue `strategy` (when a model exists; otherwise the unlabelled images).
    public init(store: ProjectStore, imagesRoot: String, strategy: QueryStrategy = .margin) throws {
        self.store = store
        self.imagesRoot = imagesRoot
        self.strategy = strategy
        self.queueName = strategy.rawValue
        for image in try store.usableImageSummaries() { paths[image.id] = image }
        for l in try store.currentLabels() where l.status != .predicted { labels[l.imageID] = (l.className, l.status) }
        embeddings = try? ProjectEmbeddings.load(store: store)
        if let embeddings {
            graph = try? NeighborGraph.read(
                from: ProjectEmbeddings.graphFile(project: store.directory, encoderId: embeddings.encoderId))
        }
        try reload(strategy: strategy)
    }

    /// Re-reads the current model, its predictions and the queue (after a new model lands, or to change
    /// the queue's strategy). Labels are kept as the session knows them.
    public func reload(strategy: QueryStrategy? = nil) throws {
        if let strategy { self.strategy = strategy }
        names = try store.classNames()
        classNames = names.values.sorted()
        reasons = [:]
        try ClassifierRun.upgradeCalls(store: store)
        if let model = try store.currentClassifier() {
            modelId = model.id
            modelCaution = (try? ClassifierRun.parameters(of: model))?.calibrationQuality?.caution
            predictions = try store.predictions(model: model.id)
            let items = try ReviewQueue.build(store: store, strategy: self.strategy, count: paths.count)
            queue = items.map { ImageID($0.imageId) }
            for item in items { reasons[ImageID(item.imageId)] = item.reason }
            queueName = self.strategy.rawValue
        } else {
            modelId = nil
            modelCaution = nil
            predictions = [:]
            let labelled = Set(labels.keys)
            queue = paths.keys.filter { !labelled.contains($0) }.sorted { $0.rawValue < $1.rawValue }
            queueName = "unlabelled"
        }
    }

    /// The id of the project's current model as the database has it now (another process may have
    /// installed a newer one).
    public func latestModelId() -> String? { (try? store.currentClassifierId()) ?? nil }

    /// The view of the image at queue position `index`.
    public func item(at index: Int) -> ItemView? {
        guard queue.indices.contains(index) else { return nil }
        return item(queue[index])
    }

    public func item(_ id: ImageID) -> ItemView? {
        guard let image = paths[id] else { return nil }
        let guesses: [Guess] =
            predictions[id]?.top.prefix(3).compactMap { pair in
                names[pair.classID].map { Guess(name: $0, probability: Double(pair.probability)) }
            } ?? []
        var neighbors: [NeighborView] = []
        if let embeddings, let graph, let row = embeddings.rowOf[id], row < graph.rows {
            for (other, similarity) in graph.lists.neighbors(of: row).prefix(9) {
                guard let otherID = embeddings.rowImage[other], let summary = paths[otherID] else { continue }
                let label = labels[otherID]
                var neighbor = NeighborView(
                    imageID: otherID, path: summary.path, thumbnail: thumbnail(otherID),
                    label: label?.0, status: label?.1,
                    predicted: predictions[otherID].flatMap { names[$0.classID] },
                    similarity: similarity)
                neighbor.fullWidth = fullWidths[otherID]
                neighbors.append(neighbor)
            }
        }
        let label = labels[id]
        var view = ItemView(
            imageID: id, path: image.path, width: image.width, height: image.height, thumbnail: thumbnail(id),
            label: label?.0, status: label?.1, guesses: guesses,
            reason: reasons[id] ?? (modelId == nil ? "unlabelled (no model yet)" : ""), neighbors: neighbors)
        view.call = predictions[id].flatMap { names[$0.classID] }
        view.picture = lastPicture?.0 == id ? lastPicture?.1 : nil
        return view
    }

    /// Writes a label (one transaction) and updates the session's view of it.
    public func label(_ id: ImageID, className: String?, status: LabelStatus, annotator: String) throws {
        try store.applyLabel(id, className: className, status: status, annotator: annotator, time: Date())
        refresh(id)
        if let className, !classNames.contains(className) { classNames = (classNames + [className]).sorted() }
    }

    /// A bulk assignment: one transaction, one undo.
    public func label(_ ids: [ImageID], className: String, status: LabelStatus, annotator: String) throws {
        try store.applyLabels(ids, className: className, status: status, annotator: annotator, time: Date())
        for id in ids { refresh(id) }
        if !classNames.contains(className) { classNames = (classNames + [className]).sorted() }
    }

    /// Each image its own class: one transaction, one undo.
    public func label(_ changes: [LabelChange], status: LabelStatus, annotator: String) throws {
        try store.applyLabels(
            changes.map { ($0.imageID, $0.className) }, status: status, annotator: annotator, time: Date())
        for change in changes { refresh(change.imageID) }
        let added = Set(changes.map(\.className)).subtracting(classNames)
        if !added.isEmpty { classNames = (classNames + added).sorted() }
    }

    /// Undoes the latest label or batch; returns the images it changed, first first (empty: nothing).
    public func undo(annotator: String) throws -> [ImageID] {
        let actions = try store.undoLastBatch(annotator: annotator, time: Date())
        for action in actions { refresh(action.imageID) }
        return actions.map(\.imageID)
    }

    public func redo(annotator: String) throws -> [ImageID] {
        let actions = try store.redoBatch(annotator: annotator, time: Date())
        for action in actions { refresh(action.imageID) }
        return actions.map(\.imageID)
    }

    // MARK: Grid and Classes

    /// The images of a Grid source, in the order the Grid shows them.
    public func gridItems(_ source: GridSource) -> [ImageID] {
        switch source {
        case .queue:
            return queue
        case .predicted(let name):
            guard let classID = names.first(where: { $0.value == name })?.key else { return [] }
            return predictions.values.filter {
                $0.classID == classID && labels[$0.imageID] == nil && paths[$0.imageID] != nil
            }
            .sorted { ($0.confidence, $1.imageID.rawValue) > ($1.confidence, $0.imageID.rawValue) }
            .map(\.imageID)
        case .labelled(let name):
            return labels.filter { $0.value.0 == name && paths[$0.key] != nil }.keys.sorted {
                $0.rawValue < $1.rawValue
            }
        case .changed:
            guard let modelId, let report = try? ModelChangeReport.load(project: store.directory, modelId: modelId)
            else { return [] }
            return report.changedImages.map { ImageID($0) }.filter { paths[$0] != nil }
        }
    }

    public func tile(_ id: ImageID) -> GridTile? {
        guard let image = paths[id] else { return nil }
        let prediction = predictions[id]
        let label = labels[id]
        var tile = GridTile(
            imageID: id, path: image.path, thumbnail: thumbnail(id), label: label?.0, status: label?.1,
            predicted: prediction.flatMap { names[$0.classID] }, probability: prediction?.confidence)
        tile.fullWidth = fullWidths[id]
        return tile
    }

    /// Every class with its counts and, from the current model's out-of-fold evaluation, its precision
    /// and recall.
    public func classRows() throws -> [ClassRowView] {
        var precision: [String: Double] = [:], recall: [String: Double] = [:]
        if let record = try store.currentClassifier(),
            let parameters = try? ClassifierRun.parameters(of: record),
            let metrics = try? record.metrics.get(),
            let confusion = (metrics.outOfFoldAfter ?? metrics.outOfFoldBefore)?.confusion,
            confusion.count == parameters.classIds.count
        {
            for (k, classID) in parameters.classIds.enumerated() {
                guard let name = names[classID] else { continue }
                let truePositives = Double(confusion[k][k])
                let predictedK = confusion.reduce(0) { $0 + $1[k] }, actualK = confusion[k].reduce(0, +)
                if predictedK > 0 { precision[name] = truePositives / Double(predictedK) }
                if actualK > 0 { recall[name] = truePositives / Double(actualK) }
            }
        }
        return try store.classCounts().map {
            ClassRowView(
                name: $0.name, validated: $0.validated, dubious: $0.dubious, predicted: $0.predicted,
                precision: precision[$0.name], recall: recall[$0.name])
        }
    }

    public func addClass(_ name: String) throws {
        try store.addClass(name, time: Date())
        names = try store.classNames()
        classNames = names.values.sorted()
    }

    public func renameClass(_ name: String, to newName: String) throws {
        try store.renameClass(name, to: newName)
        names = try store.classNames()
        classNames = names.values.sorted()
        for (id, label) in labels where label.0 == name { labels[id] = (newName, label.1) }
    }

    /// Returns how many images moved.
    public func mergeClass(_ name: String, into target: String, annotator: String) throws -> Int {
        let moved = try store.mergeClass(name, into: target, annotator: annotator, time: Date())
        names = try store.classNames()
        classNames = names.values.sorted()
        for (id, label) in labels where label.0 == name { labels[id] = (target, label.1) }
        return moved
    }

    /// Re-reads one image's label after a write (one indexed query, not the whole label table).
    public func refresh(_ id: ImageID) {
        let current = (try? store.currentLabel(of: id)) ?? nil
        labels[id] = current.flatMap { $0.status == .predicted ? nil : ($0.className, $0.status) }
    }

    /// The image at its own resolution (up to 2,048 px a side), kept for the last image asked for.
    public func picture(_ id: ImageID) -> PixelImage? {
        if let last = lastPicture, last.0 == id { return last.1 }
        guard let picture = screenImage(id, longestSide: 2_048)?.image else { return nil }
        lastPicture = (id, picture)
        return picture
    }

    /// Image `id` decoded as grey or RGB and shrunk to at most `longestSide` px a side, with the width it
    /// had when it was shrunk (nil: it was not); nil when it cannot be read.
    private func screenImage(_ id: ImageID, longestSide: Int) -> (image: PixelImage, fullWidth: Int?)? {
        guard let summary = paths[id],
            let decoded = try? decoder.decodeFile(atPath: imagesRoot + "/" + summary.path, name: summary.path)
        else { return nil }
        let image = Self.greyOrRGB(decoded.image)
        let longest = max(image.width, image.height)
        guard longest > longestSide else { return (image, nil) }
        let shrunk = image.resized(
            width: max(1, image.width * longestSide / longest), height: max(1, image.height * longestSide / longest))
        return (shrunk, image.width)
    }

    /// `image` as grey or RGB, what the screen draws: its first channel, or its first three (alpha is dropped).
    static func greyOrRGB(_ image: PixelImage) -> PixelImage {
        if image.channels == 1 || image.channels == 3 { return image }
        let channels = image.channels >= 3 ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * channels)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<channels { pixels[(y * image.width + x) * channels + c] = image[x, y, c] }
            }
        }
        return PixelImage(width: image.width, height: image.height, channels: channels, pixels: pixels)
    }

    /// A grey or RGB thumbnail (at most 128 px on a side), cached for the session.
    private func thumbnail(_ id: ImageID) -> PixelImage? {
        if let known = thumbnails[id] { return known }
        guard let read = screenImage(id, longestSide: 128) else { return nil }
        if let fullWidth = read.fullWidth { fullWidths[id] = fullWidth }
        if thumbnails.count > 2_000 { thumbnails.removeAll() }
        thumbnails[id] = read.image
        return read.image
    }
}
