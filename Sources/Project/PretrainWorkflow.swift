import Foundation
import NN
import PlanktermCore
import Store

/// SimCLR pretraining as `plankterm pretrain` and `pretrain` jobs run it: the parameters a job stores
/// become the encoder and SimCLR settings of a `Pretrainer` run on the project's images. Adopting the new
/// encoder (embedding every image with it) is `EmbedWorkflow.adopt`.
public enum PretrainWorkflow {
    /// Whether a run continues from the project's checkpoint.
    public enum Resume: Sendable, Equatable {
        /// Start from the parameters' weights (a checkpoint there is overwritten).
        case no
        /// Continue from the checkpoint, which must be of a run with the same parameters.
        case fromCheckpoint
        /// Continue from the checkpoint if there is one (a job retried after an interruption).
        case ifCheckpointed
    }

    /// Pretrains on `lanes` lanes until done or `stop` is set (then with a checkpoint saved, and the
    /// result `interrupted`). `cacheProgress` sees the images preprocessed, `progress` every step.
    public static func run(
        project: ProjectHandle, parameters: PretrainJobParameters, imagesRoot: String, resume: Resume,
        lanes: Int, stop: StopFlag, cacheProgress: (Int, Int) -> Void = { _, _ in },
        progress: (PretrainProgress) -> Void = { _ in }
    ) throws -> PretrainResult {
        let pretrainer = Pretrainer(
            project: project, encoderConfig: parameters.encoderConfig, simclr: parameters.simclr,
            initialWeights: parameters.initialWeights, lanes: lanes)
        let resuming: Bool
        switch resume {
        case .no: resuming = false
        case .fromCheckpoint: resuming = true
        case .ifCheckpointed: resuming = FileManager.default.fileExists(atPath: pretrainer.checkpointPath)
        }
        return try pretrainer.run(
            imagesRoot: imagesRoot, resume: resuming, shouldStop: { stop.isSet }, cacheProgress: cacheProgress,
            progress: progress)
    }

    /// Deletes the project's checkpoint, so that the next run starts afresh.
    public static func removeCheckpoint(project: ProjectHandle) {
        try? FileManager.default.removeItem(atPath: Pretrainer(project: project).checkpointPath)
    }
}

extension PretrainJobParameters {
    /// The encoder to train: random weights of the default network at `side`, or (with `initialWeights`)
    /// the file's network, of which only the side is taken from here.
    public var encoderConfig: EncoderConfig {
        var config = EncoderConfig()
        config.side = side
        return config
    }

    /// The SimCLR settings: `epochs`, `batch`, `seed` and the `peakLearningRate`; the rest as SimCLR's.
    public var simclr: SimCLRConfig {
        var simclr = SimCLRConfig()
        simclr.epochs = epochs
        simclr.batch = batch
        simclr.learningRate = peakLearningRate
        simclr.seed = seed
        return simclr
    }
}

extension PretrainProgress {
    /// The share of the run's steps done, 0...1.
    public var fraction: Double {
        Double((epoch - 1) * stepsPerEpoch + stepInEpoch) / Double(max(1, epochs * stepsPerEpoch))
    }
}
