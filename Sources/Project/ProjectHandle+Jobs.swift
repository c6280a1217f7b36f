import Foundation
import Labeling
import Learning
import Store

extension ProjectHandle {
    /// Cancels job `id` if it has not finished; returns whether it was cancelled.
    @discardableResult
    public func cancelJob(_ id: Int64, time: Date = Date()) throws -> Bool { try store.cancelJob(id, time: time) }

    /// Queues job `id` again (as a new job with the same work); returns the new job's id, nil when there is no job `id`.
    @discardableResult
    public func retryJob(_ id: Int64, time: Date = Date()) throws -> Int64? { try store.retryJob(id, time: time) }

    /// Stops job `id`, which this process was running, as failed with `reason`, and queues the same work
    /// again for the next process (even when marking the old one did not go through); returns the new job's id.
    @discardableResult
    public func requeueInterrupted(job id: Int64, reason: String, time: Date = Date()) throws -> Int64? {
        try? store.finishJob(id, state: .failed, message: "stopped", error: reason, time: time)
        return try store.retryJob(id, time: time)
    }

    /// The newest `limit` jobs as the jobs screen shows them, newest first.
    public func jobViews(limit: Int = 100) throws -> [JobView] { try store.jobs(limit: limit).map(\.view) }

    /// Whether a job of `kind` is queued or running, among the newest `limit`.
    public func hasUnfinishedJob(_ kind: Job.Kind, limit: Int = 100) throws -> Bool {
        try store.jobs(limit: limit).contains { $0.jobKind == kind && ($0.state == .pending || $0.state == .running) }
    }

    /// The job some process is running now, among the newest `limit`, if any.
    public func runningJob(limit: Int = 5) throws -> JobRecord? {
        try store.jobs(limit: limit).first { $0.state == .running }
    }
}

extension JobRecord {
    /// The job as the jobs screen shows it.
    public var view: JobView {
        JobView(id: id, kind: kind, state: state.rawValue, progress: progress, message: message, error: error)
    }

    /// The job in one line, for the labeling screen's status line.
    public var statusLine: String {
        switch state {
        case .running: "\(kind) \(Int((progress * 100).rounded())) % · \(message)"
        case .done: "\(kind) done · \(message)"
        case .failed: "\(kind) failed · \(error ?? message)"
        case .cancelled: "\(kind) cancelled"
        case .pending: "\(kind) queued"
        }
    }
}

extension LabelingSession {
    public convenience init(project: ProjectHandle, imagesRoot: String, strategy: QueryStrategy = .margin) throws {
        try self.init(store: project.store, imagesRoot: imagesRoot, strategy: strategy)
    }
}
