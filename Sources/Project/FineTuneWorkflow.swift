import Foundation
import PlanktermCore
import Store

/// The partial fine-tune as `finetune` jobs run it (queued by `plankterm train --finetune` and
/// `:finetune`): the encoder of the project's current embeddings is fine-tuned with the validated labels
/// into a new encoder version. Adopting it (embedding every image with it) is `EmbedWorkflow.adopt`.
public enum FineTuneWorkflow {
    /// What a fine-tune made: the new encoder, its weights file, and the encoder it was tuned from.
    public struct Result: Sendable {
        public var modelId: String
        public var weights: String
        public var from: String
    }

    /// Fine-tunes the current embeddings' encoder on `lanes` lanes; `progress` sees the share done and
    /// a line (a throw from it stops the run). Refused when that encoder has no weights file.
    public static func run(
        project: ProjectHandle, parameters: FineTuneJobParameters, imagesRoot: String, lanes: Int,
        progress: (Double, String) throws -> Void = { _, _ in }
    ) throws -> Result {
        let encoderId = try ProjectEmbeddings.load(project: project).encoderId
        guard let weights = try EncoderCatalogue(store: project.store).weights(ofEncoder: encoderId) else {
            throw ProjectError.invalidOption(
                "the embeddings come from \(encoderId), which has no weights file to fine-tune")
        }
        let tuned = try FineTuner(store: project.store).run(
            weights: weights, imagesRoot: imagesRoot, parameters: parameters, lanes: lanes, progress: progress)
        return Result(modelId: tuned.modelId, weights: tuned.weights, from: encoderId)
    }
}
