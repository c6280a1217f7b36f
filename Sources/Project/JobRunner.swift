import Foundation
import Learning
import NN
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
        case .train(let parameters):
            let result = try ClassifierRun(store: store).train(parameters.settings) { stage, fraction in
                try report(fraction, stage)
            }
            return "model \(result.modelId): \(result.labelsUsed) labels, \(result.imagesPredicted) predictions"
        case .embed:
            guard let imagesRoot, let weights else {
                throw ProjectError.invalidOption("this process cannot run embed jobs (no images folder or encoder)")
            }
            let result = try Embedder(store: store).run(
                weights: try weights(store), imagesRoot: imagesRoot, lanes: lanes
            ) {
                done, total in
                try? report(0.9 * Double(done) / Double(max(total, 1)), "embedding \(done)/\(total) images")
            }
            try report(0.9, "extending the neighbour graph")
            _ = try ProjectEmbeddings.load(store: store).updateGraph(project: store.directory)
            return "\(result.added) images embedded, \(result.total) in all"
        case .pretrain(let parameters):
            return try pretrain(parameters, report: report)
        case .finetune(let parameters):
            return try finetune(parameters, report: report)
        case .abundance(let parameters):
            return try abundance(parameters, report: report)
        }
    }

    /// Embeds every image with `weights`, then extends the neighbour graph to the new embeddings.
    private func embedAndLink(weights: String, imagesRoot: String) throws -> EmbedResult {
        let result = try Embedder(store: store).run(weights: weights, imagesRoot: imagesRoot, lanes: lanes)
        _ = try ProjectEmbeddings.load(store: store).updateGraph(project: store.directory)
        return result
    }

    private func pretrain(_ parameters: PretrainJobParameters, report: (Double, String) throws -> Void) throws -> String
    {
        guard let imagesRoot else {
            throw ProjectError.invalidOption("this process cannot run pretrain jobs (no images folder)")
        }
        var encoderConfig = EncoderConfig()
        encoderConfig.side = parameters.side
        var simclr = SimCLRConfig()
        simclr.epochs = parameters.epochs
        simclr.batch = parameters.batch
        simclr.seed = parameters.seed
        if let rate = parameters.learningRate { simclr.learningRate = rate }
        let pretrainer = Pretrainer(
            store: store, encoderConfig: encoderConfig, simclr: simclr,
            initialWeights: parameters.initialWeights, lanes: lanes)
        // Cancelling stops at the next step with a checkpoint; a retried (or crashed) job resumes it.
        let cancelled = StopFlag()
        let resume = FileManager.default.fileExists(atPath: pretrainer.checkpointPath)
        let result = try pretrainer.run(
            imagesRoot: imagesRoot, resume: resume, shouldStop: { cancelled.isSet },
            progress: { p in
                let done =
                    Double((p.epoch - 1) * p.stepsPerEpoch + p.stepInEpoch)
                    / Double(max(1, p.epochs * p.stepsPerEpoch))
                do {
                    try report(
                        0.8 * done, String(format: "SimCLR epoch %d/%d, loss %.4f", p.epoch, p.epochs, p.epochLoss))
                } catch { cancelled.set() }
            })
        guard !result.interrupted, let weights = result.weightsPath, let modelId = result.modelId else {
            throw JobCancelled()
        }
        try report(0.8, "embedding every image with encoder \(modelId)")
        let embedded = try embedAndLink(weights: weights, imagesRoot: imagesRoot)
        try? FileManager.default.removeItem(atPath: pretrainer.checkpointPath)
        // The heads were fitted on the old embeddings: train on the new ones next.
        try store.enqueue(.train(TrainJobParameters(reason: "new encoder \(modelId)")), time: Date())
        return "encoder \(modelId) (\(parameters.epochs) epochs), \(embedded.total) images embedded; training queued"
    }

    private func finetune(_ parameters: FineTuneJobParameters, report: (Double, String) throws -> Void) throws -> String
    {
        guard let imagesRoot else {
            throw ProjectError.invalidOption("this process cannot run finetune jobs (no images folder)")
        }
        let encoderId = try ProjectEmbeddings.load(store: store).encoderId
        guard let weights = try EncoderCatalogue(store: store).weights(ofEncoder: encoderId) else {
            throw ProjectError.invalidOption(
                "the embeddings come from \(encoderId), which has no weights file to fine-tune")
        }
        let tuned = try FineTuner(store: store).run(
            weights: weights, imagesRoot: imagesRoot, parameters: parameters, lanes: lanes
        ) {
            try report(0.7 * $0, $1)
        }
        try report(0.7, "embedding every image with encoder \(tuned.modelId)")
        let embedded = try embedAndLink(weights: tuned.weights, imagesRoot: imagesRoot)
        try store.enqueue(.train(TrainJobParameters(reason: "fine-tuned encoder \(tuned.modelId)")), time: Date())
        return
            "encoder \(tuned.modelId) fine-tuned from \(encoderId), \(embedded.total) images embedded; training queued"
    }

    private func abundance(_ parameters: AbundanceJobParameters, report: (Double, String) throws -> Void) throws
        -> String
    {
        let by = parameters.by
        try report(0.1, "estimating the class mix of each \(by)")
        let result = try AbundanceReport.build(store: store, by: by)
        let layout = ProjectLayout(directory: store.directory)
        try FileManager.default.createDirectory(atPath: layout.reportsFolder, withIntermediateDirectories: true)
        let path = layout.abundanceReport(model: result.modelId, by: by)
        try Data(try ClassifierRun.json(result).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return "abundance of \(result.groups.count) groups by \(by): reports/\((path as NSString).lastPathComponent)"
    }
}
