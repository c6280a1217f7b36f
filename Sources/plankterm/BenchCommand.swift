import ArgumentParser
import Foundation
import Learning
import Linalg
import NN
import Neighbors
import PlanktermCore
import Project

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure plankterm's own speed (to compare with ../shared/bench).",
        subcommands: [
            BenchTrain.self, BenchEmbed.self, BenchKNN.self, BenchSyntheticEmbeddings.self, BenchCalibration.self
        ])
}

/// Options shared by the learning benchmarks: the encoder's shape and the threads.
struct BenchModelOptions: ParsableArguments {
    @Option(help: "Images per step (each gives two views for training).") var batch = 128
    @Option(help: "Threads: each runs the encoder on its share of every batch.") var threads = 2
    @Option(help: "Input side in pixels.") var side = 64
    @Option(help: "Stage widths, comma-separated.") var widths = "32,64,128,256"
    @Option(help: "BasicBlocks per stage.") var blocks = 1
    @Option(help: "Architecture: resnet (with --widths, --blocks) or efficientnet-lite0.") var arch = "resnet"
    @Option(name: .customLong("in-ch"), help: "Input channels.") var inChannels = 1

    func encoderConfig() throws -> EncoderConfig {
        guard let architecture = EncoderConfig.Architecture(rawValue: arch) else {
            throw ValidationError("--arch is resnet or efficientnet-lite0, not \(arch)")
        }
        if architecture == .efficientNetLite0 { return .efficientNetLite0(side: side, channels: inChannels) }
        var c = EncoderConfig()
        c.inChannels = inChannels
        c.side = side
        c.widths = widths.split(separator: ",").compactMap { Int($0) }
        guard c.widths.count == 4 else { throw ValidationError("--widths needs four numbers") }
        c.blocksPerStage = blocks
        return c
    }
}

/// Random inputs in [0, 1], as the PyTorch reference uses (augmentation is not timed).
func fillRandom(_ buffer: FloatBuffer, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    for i in 0..<buffer.count { buffer[i] = Float.random(in: 0..<1, using: &rng) }
}

func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "SimCLR training steps per second on random inputs (one JSON line).")
    @OptionGroup var model: BenchModelOptions
    @Option(help: "Timed steps (after one warm-up step).") var steps = 4

    func run() throws {
        Gemm.setThreads(model.threads)
        var simclr = SimCLRConfig()
        simclr.batch = model.batch
        let trainer = SimCLRTrainer(
            encoder: Encoder(try model.encoderConfig(), seed: 1), config: simclr,
            stepsPerEpoch: 100, lanes: model.threads)
        fillRandom(trainer.input, seed: 2)
        trainer.trainStep()
        let start = Date()
        var loss: Float = 0
        for _ in 0..<steps { loss = trainer.trainStep() }
        let seconds = Date().timeIntervalSince(start)
        try printJSON([
            "tool": "plankterm", "what": "simclr-train-step", "batch": model.batch,
            "views_per_step": 2 * model.batch, "threads": model.threads, "steps": steps,
            "blas_core": BLASKernel.coreName,
            "seconds_per_step": seconds / Double(steps),
            "train_views_per_s": Double(2 * model.batch * steps) / seconds,
            "train_images_per_s": Double(model.batch * steps) / seconds, "loss": Double(loss),
            "encoder_parameters": trainer.encoder.encoderParameterCount,
            "parameters_with_head": trainer.encoder.parameters.count,
            "forward_gflop_per_image": Double(trainer.encoder.forwardFLOPs) / 1e9
        ])
    }
}

struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Encoder inference (eval mode, no head) images per second (one JSON line).")
    @OptionGroup var model: BenchModelOptions
    @Option(help: "Timed batches (after one warm-up batch).") var repetitions = 5

    func run() throws {
        Gemm.setThreads(model.threads)
        let workspace = EncoderWorkspace(
            encoder: Encoder(try model.encoderConfig(), seed: 1), batch: model.batch,
            lanes: model.threads)
        fillRandom(workspace.input, seed: 3)
        workspace.forward(training: false, head: false)
        let start = Date()
        for _ in 0..<repetitions { workspace.forward(training: false, head: false) }
        let seconds = Date().timeIntervalSince(start)
        try printJSON([
            "tool": "plankterm", "what": "embed", "batch": model.batch, "threads": model.threads,
            "blas_core": BLASKernel.coreName,
            "infer_images_per_s": Double(model.batch * repetitions) / seconds
        ])
    }
}

struct BenchKNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn",
        abstract: "Exact k-NN throughput on random unit vectors (the workload of ../shared/bench/bench_knn.py).",
        discussion: """
            N base and --queries query vectors, Gaussian then L2-normalised, float32; the whole query batch is \
            searched --repeats times after one warm-up and the median and best queries/s are printed as one \
            JSON line, with the latency of single queries (one at a time, as an interactive lookup).
            """)

    @Option(help: "Base vectors.") var n = 100_000
    @Option(help: "Dimensions.") var d = 128
    @Option(help: "Queries per batch.") var queries = 1_000
    @Option(help: "Neighbours per query.") var k = 10
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Timed repetitions.") var repeats = 3
    @Option(help: "Seed of the vectors.") var seed: UInt64 = 12345
    @Option(help: "Queries per GEMM block.") var queryBlock = ExactSearch().queryBlock
    @Option(help: "Base rows per GEMM block.") var baseBlock = ExactSearch().baseBlock

    func run() throws {
        var rng = SeededGenerator(seed: seed)
        func unitVectors(_ count: Int) -> [Float] {
            var x = [Float](repeating: 0, count: count * d)
            for i in 0..<count {
                var norm: Float = 0
                for j in 0..<d {
                    // Box–Muller
                    let u1 = Float.random(in: Float.ulpOfOne..<1, using: &rng),
                        u2 = Float.random(in: 0..<1, using: &rng)
                    let g = (-2 * log(u1)).squareRoot() * cos(2 * Float.pi * u2)
                    x[i * d + j] = g
                    norm += g * g
                }
                let s = 1 / norm.squareRoot()
                for j in 0..<d { x[i * d + j] *= s }
            }
            return x
        }
        let base = unitVectors(n), query = unitVectors(queries)
        var search = ExactSearch(threads: threads)
        search.queryBlock = queryBlock
        search.baseBlock = baseBlock
        func batch(_ count: Int, offset: Int = 0) -> NeighborLists {
            query.withUnsafeBufferPointer { q in
                base.withUnsafeBufferPointer { b in
                    search.search(
                        queries: q.baseAddress! + offset * d, queryCount: count, base: b.baseAddress!,
                        baseCount: n, dimension: d, k: k)
                }
            }
        }
        _ = batch(min(50, queries))
        var times: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = batch(queries)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        var single: [Double] = []
        for i in 0..<min(200, queries) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = batch(1, offset: i)
            single.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort(); single.sort()
        let median = times[times.count / 2]
        let object: [String: Any] = [
            "bench": "knn", "engine": "plankterm ExactSearch", "n": n, "d": d, "nq": queries, "k": k,
            "threads": threads,
            "search_s_median": median, "qps_median": Double(queries) / median, "qps_best": Double(queries) / times[0],
            "single_query_ms_median": single[single.count / 2], "blas": BLASKernel.coreName,
            "query_block": queryBlock, "base_block": baseBlock
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

struct BenchSyntheticEmbeddings: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-embeddings",
        abstract: "Give every image of a project a synthetic embedding (for benchmarks at scale).",
        discussion: """
            Writes an encoder 'synthetic-d<D>-s<SEED>' whose embedding of each image is the centre of its group \
            plus Gaussian noise. The group of an image is its path (relative to the images folder) up to \
            --separator (all of it when absent): with '__' copies of one source image are look-alikes, with '/' \
            the images of one folder. After it, `plankterm neighbors` \
            builds the graph and `train` fits a head, as for learned embeddings. Used by \
            Benchmarks/tui-bandwidth.sh to measure the labeling screen on a 100,000-image project.
            """)
    @Argument(help: "The project folder.") var project: String
    @Option(help: "Embedding dimension.") var dimension = 128
    @Option(help: "Noise around each group's centre (the centre has unit variance per dimension).") var noise: Float =
        0.5
    @Option(help: "The file-name separator that ends the group name.") var separator = "__"
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let separator = self.separator
        let result = try SyntheticEmbeddings.write(project: handle, dimension: dimension, noise: noise, seed: seed) {
            path in
            path.components(separatedBy: separator).first ?? path
        }
        print("model \(result.modelId): \(result.added) images given synthetic embeddings, \(result.total) in all")
    }
}

struct BenchCalibration: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration",
        abstract:
            "Calibration and prior correction of heads trained on drawn labels, scored against ground truth (one JSON line per draw).",
        discussion: """
            Draws --classes random classes (default: all) with --per-class labels each (at most half of a \
            class), trains the head as 'train' does (folds, calibration, EM over every image of the drawn \
            classes) and scores the shown probabilities and the model's call (the balanced decision, as \
            'train' stores it; balancedAccuracySampleCall and accuracySampleCall score the most probable class \
            in this sample instead) on the images not drawn. Nothing is written to the project. Used by \
            Benchmarks/calibration.sh.
            """)
    @Argument(help: "An embedded project.") var project: String
    @Option(help: ArgumentHelp("Ground truth: a label file or a folder of class folders.", valueName: "FILE"))
    var truth: String
    @Option(help: "Classes per draw (default: all).") var classes: Int?
    @Option(help: "Labels per class.") var perClass = 20
    @Option(help: "Draws (class subsets and label sets).") var draws = 5
    @Option(help: "The head: knn, linear or mlp.") var head = "linear"
    @Option(help: "Calibration: bcts, temperature or none.") var calibration = "bcts"
    @Flag(help: "Plain BCTS without the chosen prior on the biases (the calibration before issue 15).") var plain =
        false
    @Flag(
        help:
            "Refit the linear head on all labels with C as set, not at its fold heads' penalty per label (the refit before issue 15)."
    )
    var plainRefit = false
    @Option(help: "Seed of the draws.") var seed: UInt64 = 0
    @Option(help: "Threads.") var threads = 2

    func run() throws {
        guard let kind = HeadKind(rawValue: head) else { throw ValidationError("--head must be knn, linear or mlp") }
        guard let method = Calibration.Method(rawValue: calibration) else {
            throw ValidationError("--calibration must be bcts, temperature or none")
        }
        Gemm.setThreads(threads)
        let handle = try ProjectHandle.open(at: project)
        let root = try handle.imagesRoot()
        let (labels, _) = try TruthLabels.read(truth, project: handle, imagesRoot: root)
        _ = try CalibrationBenchmark(project: handle).run(
            truth: labels, classes: classes, perClass: perClass, draws: draws,
            head: kind, calibration: method, selectCalibration: !plain,
            matchFoldPenalty: !plainRefit, seed: seed, threads: threads
        ) { result in
            FileHandle.standardOutput.write(
                ((try? JSONOutput.string(result)) ?? "{}").data(using: .utf8)! + Data("\n".utf8))
        }
    }
}
