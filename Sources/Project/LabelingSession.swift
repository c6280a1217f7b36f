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
    public let queueName: String
    public private(set) var queue: [ImageID] = []
    public private(set) var modelId: String?
    public private(set) var classNames: [String] = []
    private var reasons: [ImageID: String] = [:]
    private var paths: [ImageID: ImageSummary] = [:]
    private var predictions: [ImageID: PredictionRecord] = [:]
    private var names: [Int64: String] = [:]
    private var labels: [ImageID: (String, LabelStatus)] = [:]
    private var embeddings: ProjectEmbeddings?
    private var graph: NeighborGraph?
    private var thumbnails: [ImageID: Bitmap] = [:]
    private let decoder = ImageDecoder()

    /// Opens a session on the queue `strategy` (when a model exists; otherwise the unlabelled images).
    public init(store: ProjectStore, imagesRoot: String, strategy: QueryStrategy = .margin) throws {
        self.store = store
        self.imagesRoot = imagesRoot
        for image in try store.usableImageSummaries() { paths[image.id] = image }
        names = try store.classNames()
        classNames = names.values.sorted()
        for l in try store.currentLabels() where l.status != .predicted { labels[l.imageID] = (l.className, l.status) }
        embeddings = try? ProjectEmbeddings.load(store: store)
        if let embeddings {
            graph = try? NeighborGraph.read(from: ProjectEmbeddings.graphFile(project: store.directory, encoderId: embeddings.encoderId))
        }
        if let model = try store.currentClassifier() {
            modelId = model.id
            predictions = try store.predictions(model: model.id)
            let items = try ReviewQueue.build(store: store, strategy: strategy, count: paths.count)
            queue = items.map { ImageID($0.imageId) }
            for item in items { reasons[ImageID(item.imageId)] = item.reason }
            queueName = strategy.rawValue
        } else {
            let labelled = Set(labels.keys)
            queue = paths.keys.filter { !labelled.contains($0) }.sorted { $0.rawValue < $1.rawValue }
            queueName = "unlabelled"
        }
    }

    /// The view of the image at queue position `index`.
    public func item(at index: Int) -> ItemView? {
        guard queue.indices.contains(index) else { return nil }
        return item(queue[index])
    }

    public func item(_ id: ImageID) -> ItemView? {
        guard let image = paths[id] else { return nil }
        let guesses: [Guess] = predictions[id]?.top.prefix(3).compactMap { pair in
            names[pair.classID].map { Guess(name: $0, probability: Double(pair.probability)) }
        } ?? []
        var neighbors: [NeighborView] = []
        if let embeddings, let graph, let row = embeddings.rowOf[id], row < graph.rows {
            for (other, similarity) in graph.lists.neighbors(of: row).prefix(9) {
                guard let otherID = embeddings.rowImage[other], let summary = paths[otherID] else { continue }
                let label = labels[otherID]
                neighbors.append(NeighborView(imageID: otherID, path: summary.path, thumbnail: thumbnail(otherID),
                                              label: label?.0, status: label?.1,
                                              predicted: predictions[otherID].flatMap { names[$0.classID] },
                                              similarity: similarity))
            }
        }
        let label = labels[id]
        return ItemView(imageID: id, path: image.path, width: image.width, height: image.height, thumbnail: thumbnail(id),
                        label: label?.0, status: label?.1, guesses: guesses,
                        reason: reasons[id] ?? (modelId == nil ? "unlabelled (no model yet)" : ""), neighbors: neighbors)
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

    public func undo(annotator: String) throws -> ImageID? {
        let action = try store.undoLastLabel(annotator: annotator, time: Date())
        if let action { refresh(action.imageID) }
        return action?.imageID
    }

    public func redo(annotator: String) throws -> ImageID? {
        let action = try store.redoLabel(annotator: annotator, time: Date())
        if let action { refresh(action.imageID) }
        return action?.imageID
    }

    /// Re-reads one image's label after a write (one indexed query, not the whole label table).
    private func refresh(_ id: ImageID) {
        let current = (try? store.currentLabel(of: id)) ?? nil
        labels[id] = current.flatMap { $0.status == .predicted ? nil : ($0.className, $0.status) }
    }

    /// A grey or RGB thumbnail (at most 128 px on a side), cached for the session.
    private func thumbnail(_ id: ImageID) -> Bitmap? {
        if let known = thumbnails[id] { return known }
        guard let summary = paths[id],
              let decoded = try? decoder.decodeFile(atPath: imagesRoot + "/" + summary.path, name: summary.path) else { return nil }
        let image = PixelImage(decoded)
        let channels = image.channels >= 3 ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * channels)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<channels { pixels[(y * image.width + x) * channels + c] = image[x, y, c] }
            }
        }
        var bitmap = Bitmap(width: image.width, height: image.height, channels: channels, pixels: pixels)
        let longest = max(bitmap.width, bitmap.height)
        if longest > 128 {
            bitmap = bitmap.resized(width: max(1, bitmap.width * 128 / longest), height: max(1, bitmap.height * 128 / longest))
        }
        if thumbnails.count > 2_000 { thumbnails.removeAll() }
        thumbnails[id] = bitmap
        return bitmap
    }
}
