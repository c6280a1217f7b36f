import Foundation
import Learning
import NN
import PlanktermCore
import Store

// The workflows as the commands start them: on an open project, not on its database.

extension AbundanceReport {
    public static func build(
        project: ProjectHandle, by: String, minimum: Int = PredictionSet.minimumForEM,
        bootstrap: Int = AbundanceWorkflow.defaultBootstrap, seed: UInt64 = AbundanceWorkflow.defaultSeed
    ) throws -> AbundanceReport {
        try build(store: project.store, by: by, minimum: minimum, bootstrap: bootstrap, seed: seed)
    }
}

extension SyntheticEmbeddings {
    public static func write(
        project: ProjectHandle, dimension: Int = 128, noise: Float = 0.5, seed: UInt64 = 1,
        group: (String) -> String
    ) throws -> EmbedResult {
        try write(store: project.store, dimension: dimension, noise: noise, seed: seed, group: group)
    }
}

extension TruthLabels {
    public static func read(_ path: String, project: ProjectHandle, imagesRoot: String) throws
        -> (labels: [ImageID: String], unmatched: Int)
    {
        try read(path, store: project.store, imagesRoot: imagesRoot)
    }
}

extension Evaluation {
    public init(project: ProjectHandle) { self.init(store: project.store) }
}

extension CalibrationBenchmark {
    public init(project: ProjectHandle) { self.init(store: project.store) }
}

extension Exporter {
    public init(project: ProjectHandle, imagesRoot: String, clock: any Clock = SystemClock()) {
        self.init(store: project.store, imagesRoot: imagesRoot, clock: clock)
    }
}

extension Importer {
    public init(project: ProjectHandle, clock: any Clock = SystemClock()) {
        self.init(store: project.store, clock: clock)
    }
}

extension ImportDefaults {
    public static func resolve(
        project: ProjectHandle, folderLabels given: FolderLabels?, maxPixels givenPixels: Int?,
        recordAll: Bool = false
    ) throws -> (folderLabels: FolderLabels, maxPixels: Int) {
        try resolve(store: project.store, folderLabels: given, maxPixels: givenPixels, recordAll: recordAll)
    }
}

extension ReviewQueue {
    public static func build(
        project: ProjectHandle, strategy: QueryStrategy, count: Int, seed: UInt64 = 0,
        randomFraction: Double = 0.1
    ) throws -> [ReviewItem] {
        try build(store: project.store, strategy: strategy, count: count, seed: seed, randomFraction: randomFraction)
    }
}

extension ProjectEmbeddings {
    public static func load(project: ProjectHandle) throws -> ProjectEmbeddings { try load(store: project.store) }
}

extension Embedder {
    public init(project: ProjectHandle, clock: any Clock = SystemClock()) {
        self.init(store: project.store, clock: clock)
    }
}

extension Pretrainer {
    public init(
        project: ProjectHandle, encoderConfig: EncoderConfig = EncoderConfig(),
        simclr: SimCLRConfig = SimCLRConfig(), initialWeights: String? = nil, lanes: Int = 1,
        clock: any Clock = SystemClock()
    ) {
        self.init(
            store: project.store, encoderConfig: encoderConfig, simclr: simclr, initialWeights: initialWeights,
            lanes: lanes, clock: clock)
    }
}

extension ClassifierRun {
    public init(project: ProjectHandle, clock: any Clock = SystemClock()) {
        self.init(store: project.store, clock: clock)
    }

    /// Why a new model should be trained now, or nil when the current one has seen every label.
    public static func trainingDue(project: ProjectHandle) throws -> String? {
        try trainingDue(store: project.store)
    }
}

extension JobRunner {
    /// A runner for `project`'s job queue; `weights` finds the encoder weights for `embed` jobs; the
    /// encoder runs on `lanes` lanes.
    public convenience init(
        project: ProjectHandle, imagesRoot: String? = nil,
        weights: (@Sendable (ProjectHandle) throws -> String)? = nil, lanes: Int = 1
    ) {
        var onStore: (@Sendable (ProjectStore) throws -> String)?
        if let weights { onStore = { store in try weights(ProjectHandle(store: store)) } }
        self.init(store: project.store, imagesRoot: imagesRoot, weights: onStore, lanes: lanes)
    }
}
