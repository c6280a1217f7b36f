import Foundation
import PlanktermCore
import Store

/// What embed-and-link reports as it goes.
public enum EmbedProgress: Sendable {
    /// `done` of the `total` images to embed are embedded.
    case embedding(done: Int, total: Int)
    /// The images are embedded (`EmbedResult` says how many and whether the file was rebuilt); the
    /// neighbour graph is being built or extended to them.
    case linking(EmbedResult)
}

/// Embed-and-link, the work of `plankterm embed` and of `embed` jobs: every usable image without an
/// embedding is embedded with an encoder, then the k-nearest-neighbour graph is built or extended to the
/// new rows. Training, simulating and the neighbour command first embed what is missing (`ensure`); a
/// new encoder (pretrained or fine-tuned) is adopted by embedding every image with it and queuing training
/// on the new embeddings (`adopt`).
public enum EmbedWorkflow {
    /// How to embed: the encoder, where the images are, and how hard to work.
    public struct Options: Sendable {
        /// The encoder's weights file (safetensors).
        public var weights: String
        public var imagesRoot: String
        /// Images per forward pass.
        public var batch: Int
        public var storage: EmbeddingStorage
        /// Lanes the encoder runs on (`EncoderWorkspace`) and threads of the neighbour search.
        public var threads: Int

        public init(
            weights: String, imagesRoot: String, batch: Int = Embedder.defaultBatch,
            storage: EmbeddingStorage = .automatic, threads: Int
        ) {
            self.weights = weights
            self.imagesRoot = imagesRoot
            self.batch = batch
            self.storage = storage
            self.threads = threads
        }
    }

    /// Embeds every image that has no embedding yet with `options.weights`, then builds or extends the
    /// neighbour graph. `progress` is told of every batch (a throw from it there is ignored: the rows
    /// embedded so far are kept either way) and, before the graph, of the embedding's result (a throw
    /// from it then stops the workflow before the graph).
    @discardableResult
    public static func run(
        project: ProjectHandle, options: Options, progress: (EmbedProgress) throws -> Void = { _ in }
    ) throws -> EmbedResult {
        let result = try Embedder(project: project).run(
            weights: options.weights, imagesRoot: options.imagesRoot, batch: options.batch,
            storage: options.storage, lanes: options.threads
        ) { done, total in
            try? progress(.embedding(done: done, total: total))
        }
        try progress(.linking(result))
        _ = try ProjectEmbeddings.load(project: project).updateGraph(
            project: project.directory, threads: options.threads)
        return result
    }

    /// Embeds what is missing before training, simulating or showing neighbours: nothing when every image
    /// has an embedding already (then nil); otherwise `run` with the weights `weights` picks (asked only
    /// then) on the project's images folder.
    @discardableResult
    public static func ensure(
        project: ProjectHandle, weights: () throws -> String, threads: Int,
        progress: (EmbedProgress) throws -> Void = { _ in }
    ) throws -> EmbedResult? {
        let existing = try? ProjectEmbeddings.load(project: project)
        if let existing, existing.missing() == 0 { return nil }
        let root = try project.imagesRoot()
        let options = Options(weights: try weights(), imagesRoot: root, threads: threads)
        return try run(project: project, options: options, progress: progress)
    }

    /// Adopts a new encoder: embeds every image with `weights` and links them, then queues training (for
    /// `reason`), because the heads were fitted on the old embeddings.
    @discardableResult
    public static func adopt(
        project: ProjectHandle, weights: String, imagesRoot: String, reason: String, threads: Int,
        time: Date = Date()
    ) throws -> EmbedResult {
        let result = try run(
            project: project, options: Options(weights: weights, imagesRoot: imagesRoot, threads: threads))
        try project.enqueue(.train(TrainJobParameters(reason: reason)), time: time)
        return result
    }
}
