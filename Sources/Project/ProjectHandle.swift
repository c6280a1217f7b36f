import Foundation
import PlanktermCore
import Store

/// An open project folder: what the commands hold instead of the database. The operations a command
/// needs (its images folder, its model versions, labels, jobs, counts) are here or in the workflows
/// that take a `ProjectHandle`, so that only this module talks to `Store`.
public struct ProjectHandle: Sendable {
    /// The project database: Project's workflows work on it, the commands never do.
    let store: ProjectStore

    public init(store: ProjectStore) { self.store = store }

    /// The project folder.
    public var directory: String { store.directory }

    /// Where each of the project's files lives in its folder.
    public var layout: ProjectLayout { ProjectLayout(directory: store.directory) }

    /// The name of the database file inside a project folder.
    public static var databaseFileName: String { ProjectStore.databaseFileName }

    /// Whether `directory` holds a project database.
    public static func exists(at directory: String) -> Bool {
        FileManager.default.fileExists(atPath: ProjectStore.databasePath(in: directory))
    }

    /// Opens the project in `directory`.
    public static func open(at directory: String) throws -> ProjectHandle {
        ProjectHandle(store: try ProjectStore.open(at: directory))
    }

    /// Creates a project in `directory` (which must not hold one) for the images under `imagesRoot`.
    public static func create(at directory: String, imagesRoot: String) throws -> ProjectHandle {
        let project = ProjectHandle(store: try ProjectStore.create(at: directory))
        try project.setImagesRoot(imagesRoot)
        return project
    }

    // MARK: The images folder

    /// The `meta` key under which the images folder is recorded.
    static let imagesRootKey = "imagesRoot"

    /// The images folder recorded in the project.
    public func imagesRoot() throws -> String {
        guard let root = try store.meta(Self.imagesRootKey) else {
            throw ProjectError.noImagesFolder(project: directory)
        }
        return root
    }

    /// Records `root` as the project's images folder (image paths are relative to it).
    public func setImagesRoot(_ root: String) throws {
        try store.setMeta(Self.imagesRootKey, root)
    }

    // MARK: Counts

    /// The counts behind `plankterm status`.
    public func summary() throws -> ProjectSummary { try store.summary() }

    /// Whether the project has an encoder (and so embeddings that new images should join).
    public func hasEncoder() throws -> Bool { !(try encoders.encoders()).isEmpty }

    /// How many images have a validated label, and in how many classes.
    public func validatedLabelCount() throws -> (images: Int, classes: Int) {
        let labels = try store.validatedLabels()
        return (labels.count, Set(labels.values).count)
    }

    // MARK: Jobs

    /// Queues `job` (or returns the pending job that would do the same work).
    @discardableResult
    public func enqueue(_ job: Job, time: Date = Date()) throws -> Int64 { try store.enqueue(job, time: time) }
}

extension ProjectHandle {
    /// The newest `limit` jobs, newest first.
    public func jobs(limit: Int = 100) throws -> [JobRecord] { try store.jobs(limit: limit) }

    /// The id of the newest expert annotation (anything but a prediction), 0 when none.
    public func latestExpertAnnotationId() throws -> Int64 { try store.latestExpertAnnotationId() }

    /// When the newest expert annotation was given, if any.
    public func latestExpertAnnotationTime() throws -> Date? { try store.latestExpertAnnotationTime() }
}
