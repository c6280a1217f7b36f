import Foundation
import PlanktermCore
import Store

/// The job was cancelled while it ran.
public struct JobCancelled: Error, CustomStringConvertible {
    public var description: String { "cancelled" }
}

/// Runs the project's queued jobs, one at a time across every process that serves the project (the
/// labeling screens and `plankterm worker`): a job is claimed in a transaction, its progress is written
/// to the database (where every screen reads it), and a new model becomes current only when complete.
public final class JobRunner: @unchecked Sendable {
    public let store: ProjectStore
    public let owner: String
    /// What `embed` jobs need from the command layer: the images folder and the encoder weights.
    public let imagesRoot: String?
    public let weights: (@Sendable (ProjectStore) throws -> String)?
    /// Lanes the encoder runs on in embed, pretrain and finetune jobs (`EncoderWorkspace`): the process's
    /// thread count.
    public let lanes: Int

    public init(
        store: ProjectStore, owner: String = ProjectStore.jobOwner, imagesRoot: String? = nil,
        weights: (@Sendable (ProjectStore) throws -> String)? = nil, lanes: Int = 1
    ) {
        self.store = store
        self.owner = owner
        self.imagesRoot = imagesRoot
        self.weights = weights
        self.lanes = lanes
    }

    /// Claims and runs the next job; nil when there is none (or another process is running one).
    /// `progress` sees the job as it goes (on this thread).
    public func runNext(progress: (JobRecord) -> Void = { _ in }) throws -> JobRecord? {
        guard var job = try store.claimNextJob(owner: owner, time: Date()) else { return nil }
        progress(job)
        do {
            let message = try run(job) { fraction, message in
                guard try self.store.updateJob(job.id, progress: fraction, message: message, time: Date()) else {
                    throw JobCancelled()
                }
                job.progress = fraction
                job.message = message
                progress(job)
            }
            try store.finishJob(job.id, state: .done, message: message, time: Date())
        } catch is JobCancelled {
            // Already marked cancelled by whoever cancelled it.
        } catch {
            try store.finishJob(
                job.id, state: .failed, message: "failed", error: ErrorText.describe(error), time: Date())
        }
        let finished = try store.job(job.id) ?? job
        progress(finished)
        return finished
    }

    /// Runs jobs until none is left that this process can take.
    @discardableResult
    public func drain(progress: (JobRecord) -> Void = { _ in }) throws -> [JobRecord] {
        var finished: [JobRecord] = []
        while let job = try runNext(progress: progress) { finished.append(job) }
        return finished
    }

    /// Does the work of one job; returns its closing message.
    func run(_ record: JobRecord, report: (Double, String) throws -> Void) throws -> String {
        switch try Job(record) {
        case .train(let parameters): return try train(parameters, report: report)
        case .embed: return try embed(report: report)
        case .pretrain(let parameters): return try pretrain(parameters, report: report)
        case .finetune(let parameters): return try finetune(parameters, report: report)
        case .abundance(let parameters): return try abundance(parameters, report: report)
        }
    }

    private var project: ProjectHandle { ProjectHandle(store: store) }

    private func train(_ parameters: TrainJobParameters, report: (Double, String) throws -> Void) throws -> String {
        let result = try TrainWorkflow.run(project: project, parameters: parameters, threads: lanes) {
            stage, fraction in try report(fraction, stage)
        }
        return "model \(result.modelId): \(result.labelsUsed) labels, \(result.imagesPredicted) predictions"
    }

    private func embed(report: (Double, String) throws -> Void) throws -> String {
        guard let imagesRoot, let weights else {
            throw ProjectError.invalidOption("this process cannot run embed jobs (no images folder or encoder)")
        }
        let options = EmbedWorkflow.Options(weights: try weights(store), imagesRoot: imagesRoot, threads: lanes)
        let result = try EmbedWorkflow.run(project: project, options: options) { step in
            switch step {
            case .embedding(let done, let total):
                try report(0.9 * Double(done) / Double(max(total, 1)), "embedding \(done)/\(total) images")
            case .linking: try report(0.9, "extending the neighbour graph")
            }
        }
        return "\(result.added) images embedded, \(result.total) in all"
    }

    private func pretrain(_ parameters: PretrainJobParameters, report: (Double, String) throws -> Void) throws -> String
    {
        guard let imagesRoot else {
            throw ProjectError.invalidOption("this process cannot run pretrain jobs (no images folder)")
        }
        // Cancelling stops at the next step with a checkpoint; a retried (or crashed) job resumes it.
        let cancelled = StopFlag()
        let result = try PretrainWorkflow.run(
            project: project, parameters: parameters, imagesRoot: imagesRoot, resume: .ifCheckpointed,
            lanes: lanes, stop: cancelled,
            progress: { p in
                do {
                    try report(
                        0.8 * p.fraction,
                        String(format: "SimCLR epoch %d/%d, loss %.4f", p.epoch, p.epochs, p.epochLoss))
                } catch { cancelled.set() }
            })
        guard !result.interrupted, let weights = result.weightsPath, let modelId = result.modelId else {
            throw JobCancelled()
        }
        try report(0.8, "embedding every image with encoder \(modelId)")
        let embedded = try EmbedWorkflow.adopt(
            project: project, weights: weights, imagesRoot: imagesRoot, reason: "new encoder \(modelId)",
            threads: lanes)
        PretrainWorkflow.removeCheckpoint(project: project)
        return "encoder \(modelId) (\(parameters.epochs) epochs), \(embedded.total) images embedded; training queued"
    }

    private func finetune(_ parameters: FineTuneJobParameters, report: (Double, String) throws -> Void) throws -> String
    {
        guard let imagesRoot else {
            throw ProjectError.invalidOption("this process cannot run finetune jobs (no images folder)")
        }
        let tuned = try FineTuneWorkflow.run(
            project: project, parameters: parameters, imagesRoot: imagesRoot, lanes: lanes
        ) { try report(0.7 * $0, $1) }
        try report(0.7, "embedding every image with encoder \(tuned.modelId)")
        let embedded = try EmbedWorkflow.adopt(
            project: project, weights: tuned.weights, imagesRoot: imagesRoot,
            reason: "fine-tuned encoder \(tuned.modelId)", threads: lanes)
        return
            "encoder \(tuned.modelId) fine-tuned from \(tuned.from), \(embedded.total) images embedded; training queued"
    }

    private func abundance(_ parameters: AbundanceJobParameters, report: (Double, String) throws -> Void) throws
        -> String
    {
        try report(0.1, "estimating the class mix of each \(parameters.by)")
        let result = try AbundanceWorkflow.run(project: project, parameters: parameters)
        let path = try AbundanceWorkflow.write(result, project: project)
        return
            "abundance of \(result.groups.count) groups by \(parameters.by): reports/\((path as NSString).lastPathComponent)"
    }
}
