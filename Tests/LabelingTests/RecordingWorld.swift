import Foundation
import PlanktermCore

@testable import Labeling

/// A labeling session and project in memory: what the runtime asked of it, in order, and answers a test
/// can change (the queue, the latest model, errors).
final class RecordingWorld {
    var calls: [String] = []
    var undone: [ImageID] = []
    var labelError: (any Error)?
    var enqueueError: (any Error)?
    var nextJob: Int64 = 7
    var classes = ["copepod", "copepod_calanoid", "diatom", "detritus"]
    /// The session's queue and model; `latestModel` is what another process may have trained since.
    var queue = QueueSnapshot(
        items: (1...5).map { ImageID($0) }, name: "margin", modelId: "clf-1", modelCaution: nil,
        classNames: ["copepod", "copepod_calanoid", "diatom", "detritus"])
    var latestModel: String? = "clf-1"
    /// The queue a reload builds.
    var reloadedItems: [ImageID]?
    var changeSummaries: [String: String] = [:]
    var jobViews: [JobView] = []
    var gridImages = (1...30).map { ImageID($0) }

    struct Refused: Error, CustomStringConvertible {
        var description: String { "the database is read-only" }
    }

    static func item(_ id: Int64) -> ItemView { LabelingReducerTests.item(id) }

    static func describe(_ request: JobRequest) -> String {
        switch request {
        case .train(let reason, let head): "train \(head ?? "default"): \(reason)"
        case .pretrain(let epochs): "pretrain \(epochs)"
        case .finetune(let epochs): "finetune \(epochs)"
        case .embed: "embed"
        case .abundance(let by): "abundance \(by)"
        }
    }

    func environment(runsJobs: Bool = false) -> LabelingRuntime.Environment {
        LabelingRuntime.Environment(
            label: { id, name, status in
                if let error = self.labelError { throw error }
                self.calls.append("label \(id.rawValue) \(name ?? "-") \(status.rawValue)")
            },
            labelMany: { ids, name, status in self.calls.append("labelMany \(ids.count) \(name) \(status.rawValue)") },
            labelEach: { changes, status in self.calls.append("labelEach \(changes.count) \(status.rawValue)") },
            undo: {
                self.calls.append("undo"); return self.undone
            },
            redo: {
                self.calls.append("redo"); return []
            },
            itemAt: { i in i < self.queue.items.count ? Self.item(self.queue.items[i].rawValue) : nil },
            item: { Self.item($0.rawValue) },
            picture: {
                self.calls.append("picture \($0.rawValue)"); return nil
            },
            gridItems: {
                self.calls.append("gridItems \($0.title)"); return self.gridImages
            },
            tile: { id in
                GridTile(
                    imageID: id, path: "img\(id.rawValue).png", thumbnail: nil, label: nil, status: nil,
                    predicted: "copepod", probability: 0.5)
            },
            classNames: { self.classes },
            classRows: {
                self.classes.map {
                    ClassRowView(name: $0, validated: 1, dubious: 0, predicted: 2, precision: nil, recall: nil)
                }
            },
            addClass: {
                self.calls.append("addClass \($0)"); self.classes.append($0)
            },
            renameClass: { old, new in
                self.calls.append("renameClass \(old) \(new)")
                self.classes = self.classes.map { $0 == old ? new : $0 }
            },
            mergeClass: { source, target in
                self.calls.append("mergeClass \(source) \(target)")
                self.classes.removeAll { $0 == source }
                return 4
            },
            queue: { self.queue },
            reload: { strategy in
                self.calls.append("reload \(strategy ?? "-")")
                self.queue.modelId = self.latestModel
                if let strategy { self.queue.name = strategy }
                if let items = self.reloadedItems { self.queue.items = items }
            },
            latestModelId: { self.latestModel },
            modelChangeSummary: { self.changeSummaries[$0] },
            enqueue: { request in
                if let error = self.enqueueError { throw error }
                self.calls.append(Self.describe(request))
                self.nextJob += 1
                return self.nextJob - 1
            },
            cancelJob: {
                self.calls.append("cancel \($0)"); return true
            },
            retryJob: {
                self.calls.append("retry \($0)"); return nil
            },
            jobs: { self.jobViews },
            export: { format, path in
                self.calls.append("export \(format) \(path)")
                return ExportSummary(labels: 3, output: path)
            },
            runsJobs: runsJobs,
            vocabulary: ColonCommand.Vocabulary(
                heads: ["knn", "linear", "mlp"], queues: ["margin", "entropy", "random"],
                exportFormats: ["csv", "ecotaxa"]))
    }
}
