import Foundation
import PlanktermCore
import Store

/// One classifier version of a project, as `plankterm models` and `status` list it.
public struct ModelVersion: Sendable, Equatable {
    public var id: String
    public var createdAt: Date
    /// Whether this is the current model.
    public var isCurrent: Bool
    /// Its recorded parameters; nil when they cannot be read.
    public var parameters: ClassifierParameters?
}

extension ProjectHandle {
    /// The project's classifier versions, newest first.
    public func modelVersions() throws -> [ModelVersion] {
        let current = try store.currentClassifierId()
        return try store.classifiers().map { Self.version($0, current: current) }
    }

    /// The current classifier version, if any.
    public func currentModel() throws -> ModelVersion? {
        try store.currentClassifier().map { Self.version($0, current: $0.id) }
    }

    /// The id of the current classifier version, if any.
    public func currentModelId() throws -> String? { try store.currentClassifierId() }

    /// Makes classifier version `id` current again (open labeling screens pick it up).
    public func makeCurrent(model id: String) throws { try store.makeCurrent(classifier: id) }

    /// Deletes all but the newest `keep` classifier versions, never the current one: their rows and
    /// predictions in one transaction, then their posteriors and change-report files. Returns the ids deleted.
    @discardableResult
    public func deleteOldModels(keep: Int) throws -> [String] {
        let deleted = try store.deleteOldClassifiers(keep: keep)
        for id in deleted {
            try? FileManager.default.removeItem(atPath: layout.resolve(ProjectLayout.posteriorsFile(model: id)))
            try? FileManager.default.removeItem(atPath: layout.resolve(ProjectLayout.outOfFoldFile(model: id)))
            try? FileManager.default.removeItem(atPath: layout.changeReport(model: id))
        }
        return deleted
    }

    private static func version(_ record: ClassifierVersionRecord, current: String?) -> ModelVersion {
        ModelVersion(
            id: record.id, createdAt: record.createdAt, isCurrent: record.id == current,
            parameters: try? ClassifierRun.parameters(of: record))
    }
}
