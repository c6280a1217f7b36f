import Foundation
import Learning
import NN
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

/// The images folder and the project of a workflow test, side by side in one temporary folder.
private struct BlobProject {
    let folder: TemporaryDirectory
    let project: ProjectHandle
    var images: String { folder.path + "/images" }

    /// `count` 20-pixel blob images (`blobImages`), imported into a new project.
    init(_ count: Int) throws {
        folder = try TemporaryDirectory("plankterm-workflow")
        try FileManager.default.createDirectory(atPath: folder.path + "/images", withIntermediateDirectories: true)
        project = try ProjectHandle.create(at: folder.path + "/project", imagesRoot: folder.path + "/images")
        try add(count, prefix: "img")
    }

    /// Adds `count` more images named `prefix`0… and imports them.
    func add(_ count: Int, prefix: String) throws {
        let images = try TemporaryDirectory("plankterm-workflow-new")
        defer { images.remove() }
        try blobImages(count, into: images, prefix: prefix)
        for name in try FileManager.default.contentsOfDirectory(atPath: images.path) {
            try FileManager.default.moveItem(atPath: images.path + "/" + name, toPath: self.images + "/" + name)
        }
        _ = try Importer(project: project).run(ImportOptions(imagesRoot: self.images, annotator: "t"))
    }

    /// An encoder pretrained on the images with `quickPretraining`, from scratch.
    func pretrain() throws -> PretrainResult {
        try PretrainWorkflow.run(
            project: project, parameters: quickPretraining(), imagesRoot: images, resume: .no, lanes: 1,
            stop: StopFlag())
    }

    func remove() { folder.remove() }
}

/// Pretraining parameters small enough for a test: 16 pixels, 4 images a step, from random weights.
private func quickPretraining(epochs: Int = 1) -> PretrainJobParameters {
    PretrainJobParameters(epochs: epochs, batch: 4, side: 16, seed: 3)
}

/// Validated labels for every image: light-on-dark blobs (even numbers) and dark-on-light ones.
private func labelBlobs(_ project: ProjectHandle) throws {
    let store = try ProjectStore.open(at: project.directory)
    let drafts = try store.usableImages().map { image in
        let number = Int(image.path.dropFirst(3).dropLast(4))!
        return AnnotationDraft(
            imageID: image.id, className: number % 2 == 0 ? "dark" : "light", status: .validated,
            annotator: "t", time: Date(), source: "cli")
    }
    try store.append(drafts)
}

@Suite("One workflow per job kind: what the commands and the job runner both run")
struct WorkflowTests {
    @Test("pretraining takes the job's settings, stops with a checkpoint, resumes it only when asked, and removes it")
    func pretrain() throws {
        let blobs = try BlobProject(8)
        defer { blobs.remove() }
        let project = blobs.project
        let parameters = quickPretraining(epochs: 2)
        #expect(parameters.simclr.learningRate == PretrainJobParameters.scratchLearningRate)
        #expect(parameters.simclr.epochs == 2 && parameters.simclr.batch == 4 && parameters.simclr.seed == 3)
        let checkpoint = Pretrainer(project: project).checkpointPath
        // Stopped before it starts: one step, and a checkpoint.
        let stop = StopFlag()
        stop.set()
        var steps: [Double] = []
        let first = try PretrainWorkflow.run(
            project: project, parameters: parameters, imagesRoot: blobs.images, resume: .no, lanes: 1, stop: stop,
            progress: { steps.append($0.fraction) })
        #expect(first.interrupted && first.steps == 1 && steps == [0.25])
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        // A job (resume if checkpointed) continues from it to the end.
        let second = try PretrainWorkflow.run(
            project: project, parameters: parameters, imagesRoot: blobs.images, resume: .ifCheckpointed, lanes: 1,
            stop: StopFlag(), progress: { steps.append($0.fraction) })
        #expect(!second.interrupted && second.steps == 4 && steps == [0.25, 0.5, 0.75, 1])
        let (encoder, _) = try Encoder.load(from: try #require(second.weightsPath))
        #expect(encoder.config.side == 16)
        PretrainWorkflow.removeCheckpoint(project: project)
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
        // Resuming without a checkpoint is refused; resuming when there is none to resume starts afresh.
        #expect(throws: ProjectError.self) {
            try PretrainWorkflow.run(
                project: project, parameters: parameters, imagesRoot: blobs.images, resume: .fromCheckpoint,
                lanes: 1, stop: StopFlag())
        }
        let again = try PretrainWorkflow.run(
            project: project, parameters: parameters, imagesRoot: blobs.images, resume: .ifCheckpointed, lanes: 1,
            stop: StopFlag())
        #expect(again.steps == 4 && again.modelId == second.modelId)
    }

    @Test("a run from weights takes the file's side and the adapting learning rate unless told otherwise")
    func pretrainStart() throws {
        let blobs = try BlobProject(8)
        defer { blobs.remove() }
        let project = blobs.project
        let trained = try blobs.pretrain()
        let weights = try #require(trained.weightsPath)
        let adapting = try PretrainJobParameters.starting(from: weights, epochs: 3)
        #expect(adapting.side == 16 && adapting.initialWeights == weights && adapting.epochs == 3)
        #expect(adapting.learningRate == PretrainJobParameters.adaptingLearningRate)
        let scratch = try PretrainJobParameters.starting(from: nil)
        #expect(
            scratch.side == PretrainJobParameters.scratchSide && scratch.epochs == PretrainJobParameters.defaultEpochs)
        #expect(scratch.learningRate == PretrainJobParameters.scratchLearningRate)
        let given = try PretrainJobParameters.starting(from: weights, side: 32, learningRate: 0.5, seed: 7)
        #expect(given.side == 32 && given.learningRate == 0.5 && given.seed == 7)
        // A stored job without a learning rate runs at the one for its start.
        #expect(PretrainJobParameters(initialWeights: weights).peakLearningRate == 1e-4)
        #expect(PretrainJobParameters().peakLearningRate == 1e-3)
        #expect(throws: (any Error).self) { try PretrainJobParameters.starting(from: blobs.images + "/none") }
    }

    @Test("embed-and-link embeds what is missing and links it; ensure asks for weights only when something is missing")
    func embedAndEnsure() throws {
        let blobs = try BlobProject(8)
        defer { blobs.remove() }
        let project = blobs.project
        let trained = try blobs.pretrain()
        let weights = try #require(trained.weightsPath)
        var seen: [String] = []
        let first = try EmbedWorkflow.run(
            project: project, options: EmbedWorkflow.Options(weights: weights, imagesRoot: blobs.images, threads: 1)
        ) { step in
            switch step {
            case .embedding(let done, let total): seen.append("\(done)/\(total)")
            case .linking(let result): seen.append("linking \(result.added)")
            }
        }
        #expect(first.added == 8 && first.modelId == trained.modelId)
        #expect(seen.last == "linking 8" && seen.dropLast().last == "8/8")
        let graph = ProjectEmbeddings.graphFile(project: project.directory, encoderId: first.modelId)
        #expect(FileManager.default.fileExists(atPath: graph))

        // Nothing missing: ensure does nothing and does not look for weights.
        var asked = 0
        let none = try EmbedWorkflow.ensure(
            project: project,
            weights: {
                asked += 1
                return weights
            }, threads: 1)
        #expect(none == nil && asked == 0)
        // New images: ensure embeds them with the weights it is given.
        try blobs.add(3, prefix: "new")
        let added = try EmbedWorkflow.ensure(
            project: project,
            weights: {
                asked += 1
                return weights
            }, threads: 1)
        #expect(added?.added == 3 && added?.total == 11 && asked == 1)
        #expect(try ProjectEmbeddings.load(project: project).missing() == 0)

        // A throw at the graph stops before it: the rows are kept, the graph is not extended.
        try blobs.add(1, prefix: "late")
        struct Stop: Error {}
        let before = try Data(contentsOf: URL(fileURLWithPath: graph))
        #expect(throws: Stop.self) {
            try EmbedWorkflow.run(
                project: project,
                options: EmbedWorkflow.Options(weights: weights, imagesRoot: blobs.images, threads: 1)
            ) { step in
                if case .linking = step { throw Stop() }
            }
        }
        #expect(try ProjectEmbeddings.load(project: project).missing() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: graph)) == before)
    }

    @Test("a new encoder is adopted: every image embedded with it, and training on it queued")
    func adopt() throws {
        let blobs = try BlobProject(8)
        defer { blobs.remove() }
        let project = blobs.project
        let trained = try blobs.pretrain()
        let embedded = try EmbedWorkflow.adopt(
            project: project, weights: try #require(trained.weightsPath), imagesRoot: blobs.images,
            reason: "new encoder \(trained.modelId ?? "")", threads: 1)
        #expect(embedded.added == 8 && embedded.modelId == trained.modelId)
        let queued = try project.jobs()
        #expect(queued.count == 1 && queued.first?.jobKind == .train && queued.first?.state == .pending)
        #expect(
            try Job(#require(queued.first)) == .train(TrainJobParameters(reason: "new encoder \(trained.modelId!)")))
    }

    @Test("fine-tuning tunes the current embeddings' encoder into a new one; an encoder without weights is refused")
    func finetune() throws {
        let blobs = try BlobProject(8)
        defer { blobs.remove() }
        let project = blobs.project
        let trained = try blobs.pretrain()
        try EmbedWorkflow.run(
            project: project,
            options: EmbedWorkflow.Options(
                weights: try #require(trained.weightsPath), imagesRoot: blobs.images, threads: 1))
        try labelBlobs(project)
        var fractions: [Double] = []
        let tuned = try FineTuneWorkflow.run(
            project: project, parameters: FineTuneJobParameters(epochs: 1, batch: 4), imagesRoot: blobs.images,
            lanes: 1
        ) { fraction, _ in fractions.append(fraction) }
        #expect(tuned.from == trained.modelId && tuned.modelId != tuned.from)
        #expect(FileManager.default.fileExists(atPath: tuned.weights))
        #expect(fractions == [0.5, 1])

        let (clusters, store, _) = try projectWithClusters(12)
        defer { clusters.remove() }
        #expect(throws: ProjectError.self) {
            try FineTuneWorkflow.run(
                project: ProjectHandle(store: store), parameters: FineTuneJobParameters(), imagesRoot: clusters.path,
                lanes: 1)
        }
    }

    @Test("training takes the job's settings with the defaults filled in, and installs the model")
    func train() throws {
        let (images, store, truth) = try projectWithClusters(60)
        defer { images.remove() }
        try label(store, truth, perClass: 6)
        let project = ProjectHandle(store: store)
        var stages: [String] = []
        let report = try TrainWorkflow.run(
            project: project, parameters: TrainJobParameters(head: .knn, reason: "test", folds: 2), threads: 1
        ) { stage, _ in stages.append(stage) }
        #expect(report.head == "knn" && report.folds == 2 && report.labelsUsed == 18 && report.imagesPredicted == 60)
        #expect(try store.currentClassifier()?.id == report.modelId && !stages.isEmpty)

        let defaults = TrainJobParameters(reason: "").settings(threads: 3)
        #expect(defaults.head.kind == TrainJobParameters.defaultHead && defaults.head.threads == 3)
        #expect(defaults.calibration == TrainJobParameters.defaultCalibration)
        #expect(
            defaults.folds == TrainJobParameters.defaultFolds && defaults.head.seed == TrainJobParameters.defaultSeed)
        let given = TrainJobParameters(head: .mlp, reason: "", calibration: .temperature, folds: 3, seed: 4)
            .settings(threads: 1)
        #expect(
            given.head.kind == .mlp && given.calibration == .temperature && given.folds == 3 && given.head.seed == 4)
    }

    @Test("the abundance estimate groups as the job says, and a job's report is written under reports/")
    func abundance() throws {
        let (images, store, truth) = try projectWithClusters(60)
        defer { images.remove() }
        try label(store, truth, perClass: 6)
        let project = ProjectHandle(store: store)
        let model = try TrainWorkflow.run(
            project: project, parameters: TrainJobParameters(head: .knn, reason: "test", folds: 2), threads: 1
        ).modelId
        let report = try AbundanceWorkflow.run(project: project, parameters: AbundanceJobParameters(), bootstrap: 5)
        #expect(report.groupedBy == "folder" && report.groups.map(\.name) == ["a", "b"])
        #expect(report.groups.map(\.images) == [30, 30])
        let path = try AbundanceWorkflow.write(report, project: project)
        #expect(path == store.directory + "/reports/abundance-\(model)-by-folder.json")
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        #expect(json?["model_id"] as? String == model && (json?["groups"] as? [Any])?.count == 2)
        #expect(throws: ProjectError.self) {
            try AbundanceWorkflow.run(project: project, parameters: AbundanceJobParameters(by: "station"))
        }
    }

    @Test("a job without settings runs with the defaults the command line has")
    func jobDefaults() throws {
        guard case .pretrain(let pretrain) = try Job(kind: "pretrain", parameters: "{}") else {
            Issue.record("not a pretrain job")
            return
        }
        #expect(pretrain == PretrainJobParameters())
        #expect(pretrain.epochs == PretrainJobParameters.defaultEpochs && pretrain.epochs == SimCLRConfig().epochs)
        #expect(pretrain.batch == PretrainJobParameters.defaultBatch && pretrain.batch == SimCLRConfig().batch)
        #expect(pretrain.side == PretrainJobParameters.scratchSide && pretrain.initialWeights == nil)
        #expect(pretrain.peakLearningRate == SimCLRConfig().learningRate)
        guard case .finetune(let finetune) = try Job(kind: "finetune", parameters: "{}"),
            case .train(let train) = try Job(kind: "train", parameters: "{}"),
            case .abundance(let abundance) = try Job(kind: "abundance", parameters: "{}")
        else {
            Issue.record("not the jobs asked for")
            return
        }
        #expect(finetune.epochs == FineTuneJobParameters.defaultEpochs)
        let settings = train.settings(threads: 1)
        #expect(
            settings.head.kind == TrainJobParameters.defaultHead && settings.folds == TrainJobParameters.defaultFolds)
        #expect(settings.calibration == TrainJobParameters.defaultCalibration)
        #expect(abundance.by == AbundanceJobParameters.defaultGrouping)
    }
}
