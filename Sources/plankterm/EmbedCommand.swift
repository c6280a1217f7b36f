import ArgumentParser
import Foundation
import Linalg
import Project

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Compute an embedding of every image with an encoder.",
        discussion: """
            Writes the L2-normalised embedding of every usable image to PROJECT/embeddings/<model>.f32 \
            (float32 rows; PROJECT/embeddings/<model>.json gives the dimension; the database maps images to \
            rows). Only images without an embedding are computed, so after 'plankterm import' a second run \
            is quick. The encoder is --weights FILE (safetensors with PyTorch names, e.g. from \
            Scripts/simclr_torch.py), else the project's newest pretrained encoder, else the encoder that \
            ships with plankterm (ImageNet EfficientNet-Lite0, 128 px). An embedding averages the pooled \
            features of as many orientations of the image as the encoder file asks for (the shipped one: its \
            8 mirrors and quarter turns, so 8 forward passes an image). Then the k = 32 nearest-neighbour \
            graph is built or extended (see 'plankterm neighbors').

            Storage (--dimensions): a project first embedded with 2,048 images or more stores its \
            embeddings on the 512 leading principal axes of its own images, whitened (fitted on a sample \
            of up to 8,192; rows of unit length again): 2 KB an image instead of 5. On the NDSB dev set \
            that raised kNN balanced accuracy by 0.05 and cost a logistic probe 0.01 (Benchmarks/storage.py). \
            'full' stores the encoder's features as they are, N stores N axes. Going from full to fewer \
            dimensions projects the stored rows (no image is embedded again); any other change embeds every \
            image again. What a project stores is kept until --dimensions says otherwise.
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: ArgumentHelp("Encoder weights (safetensors).", valueName: "FILE")) var weights: String?
    @Option(help: "Images per forward pass.") var batch = Embedder.defaultBatch
    @Option(help: "Threads: each runs the encoder on its share of every batch.") var threads = 2
    @Option(
        help: ArgumentHelp(
            "How to store the embeddings: auto, full or a number of principal axes.",
            valueName: "auto|full|N"),
        transform: { argument in
            guard let storage = EmbeddingStorage(argument: argument) else {
                throw ValidationError("--dimensions takes auto, full or a positive number, not '\(argument)'")
            }
            return storage
        })
    var dimensions: EmbeddingStorage = .automatic

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let root = try handle.imagesRoot()
        Gemm.setThreads(threads)
        let file = try Self.resolveWeights(weights, project: handle)
        let tty = Console.stderrIsTTY
        let result = try EmbedWorkflow.run(
            project: handle,
            options: EmbedWorkflow.Options(
                weights: file, imagesRoot: root, batch: batch, storage: dimensions, threads: threads),
            progress: { Self.show($0, tty: tty) })
        if tty && result.added > 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(
            "model \(result.modelId) (\(Console.oneLine(file))): \(result.added) images embedded, \(result.total) in all, "
                + "\(Self.stored(result)), in \(result.file)")
    }

    /// Embed-and-link's progress on standard error: the count on a terminal, and a note when the
    /// embeddings file was rebuilt.
    static func show(_ progress: EmbedProgress, tty: Bool) {
        switch progress {
        case .embedding(let done, let total):
            if tty { FileHandle.standardError.write(Data("\rembedding \(done)/\(total) images…".utf8)) }
        case .linking(let result):
            noteRebuilt(result, tty: tty)
            if tty && result.added > 0 {
                FileHandle.standardError.write(Data("\r\u{1B}[Kupdating the neighbour graph…".utf8))
            }
        }
    }

    /// Embeds what is missing before a command that needs every image embedded (as 'plankterm embed'
    /// would, with the project's encoder), with the count on standard error unless `quiet`.
    static func ensure(project handle: ProjectHandle, quiet: Bool, threads: Int) throws {
        let tty = Console.stderrIsTTY && !quiet
        try EmbedWorkflow.ensure(
            project: handle, weights: { try resolveWeights(nil, project: handle) }, threads: threads
        ) { progress in
            switch progress {
            case .embedding(let done, let total):
                if tty { FileHandle.standardError.write(Data("\r\u{1B}[Kembedding \(done)/\(total) images…".utf8)) }
            case .linking(let result): noteRebuilt(result, tty: tty)
            }
        }
    }

    /// "1280 dimensions", or "512 dimensions (principal axes of 1280, 97.3 % of the variance)".
    static func stored(_ result: EmbedResult) -> String {
        guard result.dimension < result.encoderDimension, let kept = result.varianceKept else {
            return "\(result.dimension) dimensions"
        }
        return "\(result.dimension) dimensions (principal axes of \(result.encoderDimension), "
            + String(format: "%.1f %% of the variance", 100 * kept)
            + (result.compacted ? "; the stored rows were projected" : "") + ")"
    }

    /// Says so on standard error when `Embedder` found the embeddings file damaged and rebuilt it.
    static func noteRebuilt(_ result: EmbedResult, tty: Bool) {
        if let reason = result.rebuilt {
            Console.printError(
                "\(tty ? "\r\u{1B}[K" : "")note: the embeddings file was damaged (\(Console.oneLine(reason))): "
                    + "every image was embedded again")
        }
        if let reason = result.restored {
            Console.printError("\(tty ? "\r\u{1B}[K" : "")note: every image was embedded again (\(reason))")
        }
    }

    /// The weights to use: the given file, the project's newest encoder, or the shipped default.
    static func resolveWeights(_ given: String?, project handle: ProjectHandle) throws -> String {
        if let given {
            guard FileManager.default.fileExists(atPath: given) else {
                throw CommandFailure(message: "\(given): no such weights file")
            }
            return given
        }
        for gone in try handle.encoders.missingWeights() {
            Console.printError(
                "warning: the weights of encoder \(gone.id) are missing (\(Console.oneLine(gone.path))); "
                    + "embedding with an earlier or the shipped encoder instead")
        }
        if let weights = try handle.encoders.embeddingWeights() { return weights }
        throw CommandFailure(
            message: "\(handle.directory): no encoder to embed with",
            hint: "train one with 'plankterm pretrain \(handle.directory)' or give --weights FILE")
    }
}
