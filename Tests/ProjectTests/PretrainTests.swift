import Foundation
import NN
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

/// Counts calls and says "stop" on the n-th.
final class StopAfter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    let limit: Int
    init(_ limit: Int) { self.limit = limit }
    func check() -> Bool {
        lock.withLock {
            calls += 1; return calls >= limit
        }
    }
}

/// A small image folder: `count` 20×20 blobs of different sizes and positions, light on dark or dark on light.
func blobImages(_ count: Int, into dir: TemporaryDirectory, prefix: String = "img") throws {
    for i in 0..<count {
        let r = 3 + i % 5, cx = 6 + (i * 3) % 8, cy = 7 + (i * 5) % 6
        let values = (0..<400).map { p -> Int in
            let x = p % 20, y = p / 20
            let inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r
            return i % 2 == 0 ? (inside ? 30 : 230) : (inside ? 220 : 15)
        }
        try dir.write(
            PNGFixture.encode(width: 20, height: 20, type: .gray, bitDepth: 8, samples: values),
            to: "\(prefix)\(i).png")
    }
}

func tinyEncoder() -> EncoderConfig {
    var c = EncoderConfig()
    c.side = 16
    c.widths = [4, 4, 8, 8]
    return c
}

func tinySimCLR() -> SimCLRConfig {
    var s = SimCLRConfig()
    s.epochs = 2
    s.batch = 4
    s.seed = 11
    return s
}

@Suite("SimCLR pretraining and embeddings on a project")
struct PretrainTests {
    @Test("a run stopped mid-epoch and resumed ends with exactly the weights of an uninterrupted run")
    func resumeIsExact() throws {
        let images = try TemporaryDirectory("plankterm-pretrain-images")
        defer { images.remove() }
        try blobImages(24, into: images)
        func project(_ name: String) throws -> ProjectStore {
            let store = try ProjectStore.create(at: images.path + "-\(name)")
            _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
            return store
        }
        let a = try project("a"), b = try project("b")
        defer {
            try? FileManager.default.removeItem(atPath: a.directory)
            try? FileManager.default.removeItem(atPath: b.directory)
        }
        let whole = try Pretrainer(store: a, encoderConfig: tinyEncoder(), simclr: tinySimCLR())
            .run(imagesRoot: images.path, resume: false)
        #expect(!whole.interrupted && whole.steps == 12)

        let stopper = StopAfter(5)
        let first = try Pretrainer(store: b, encoderConfig: tinyEncoder(), simclr: tinySimCLR())
            .run(imagesRoot: images.path, resume: false, shouldStop: { stopper.check() })
        #expect(first.interrupted && first.steps == 5)
        let second = try Pretrainer(store: b, encoderConfig: tinyEncoder(), simclr: tinySimCLR())
            .run(imagesRoot: images.path, resume: true)
        #expect(!second.interrupted && second.steps == 12)

        let (ea, _) = try Encoder.load(from: whole.weightsPath!)
        let (eb, _) = try Encoder.load(from: second.weightsPath!)
        #expect(ea.parameters.values.array == eb.parameters.values.array)
        #expect(ea.parameters.stateValues.array == eb.parameters.stateValues.array)
        #expect(whole.modelId == second.modelId)
        #expect(whole.finalLoss == second.finalLoss)

        // a different seed gives different weights (the comparison above can fail)
        var other = tinySimCLR()
        other.seed = 12
        let c = try project("c")
        defer { try? FileManager.default.removeItem(atPath: c.directory) }
        let different = try Pretrainer(store: c, encoderConfig: tinyEncoder(), simclr: other).run(
            imagesRoot: images.path, resume: false)
        #expect(different.modelId != whole.modelId)
        // resuming with other settings is refused
        #expect(throws: ProjectError.self) {
            try Pretrainer(store: b, encoderConfig: tinyEncoder(), simclr: other).run(
                imagesRoot: images.path, resume: true)
        }
    }

    @Test(
        "a run from given weights starts from them (EfficientNet-Lite0 at another side), records its start, and resumes only with the same start",
        .tags(.slow))
    func fromWeights() throws {
        let images = try TemporaryDirectory("plankterm-pretrain-from")
        defer { images.remove() }
        try blobImages(8, into: images)
        let store = try ProjectStore.create(at: images.path + "-p")
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        let start = Encoder(EncoderConfig.efficientNetLite0(side: 64), seed: 5)
        let startPath = store.directory + "/start.safetensors"
        try start.save(to: startPath, includeHead: false)
        #expect(try Pretrainer.side(ofWeightsAt: startPath) == 64)
        var config = EncoderConfig()
        config.side = 32  // only the side is taken from here: the network is the file's
        var simclr = tinySimCLR()
        simclr.epochs = 1
        simclr.learningRate = 1e-4
        let run = try Pretrainer(store: store, encoderConfig: config, simclr: simclr, initialWeights: startPath)
            .run(imagesRoot: images.path, resume: false)
        let (trained, metadata) = try Encoder.load(from: try #require(run.weightsPath))
        #expect(trained.config.architecture == .efficientNetLite0 && trained.config.side == 32)
        #expect(metadata["plankterm.start"] == (try Pretrainer.modelId(ofWeightsAt: startPath)))
        // it moved from the start, but not far (two steps at 1e-4)
        let moved =
            start.parameters.parameters.filter { !$0.name.hasPrefix("proj.") }.map { view in
                (0..<view.count).map { abs(start.parameters.value(view)[$0] - trained.parameters.value(view)[$0]) }
                    .max() ?? 0
            }.max() ?? 0
        #expect(moved > 0 && moved < 0.01, "\(moved)")
        // a checkpoint of this run is not resumed by a run from random weights
        let stopper = StopAfter(1)
        _ = try Pretrainer(store: store, encoderConfig: config, simclr: simclr, initialWeights: startPath)
            .run(imagesRoot: images.path, resume: false, shouldStop: { stopper.check() })
        #expect(throws: ProjectError.self) {
            try Pretrainer(store: store, encoderConfig: .efficientNetLite0(side: 32), simclr: simclr)
                .run(imagesRoot: images.path, resume: true)
        }
    }

    @Test("embeddings are L2-normalised, incremental after an import, and export as .npy")
    func embedIncremental() throws {
        let images = try TemporaryDirectory("plankterm-embed-images")
        defer { images.remove() }
        try blobImages(10, into: images)
        let store = try ProjectStore.create(at: images.path + "-p")
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        // A briefly trained encoder: its BatchNorm statistics fit the data (a fresh one may output zeros).
        var quick = tinySimCLR()
        quick.epochs = 1
        let trained = try Pretrainer(store: store, encoderConfig: tinyEncoder(), simclr: quick)
            .run(imagesRoot: images.path, resume: false)
        let weights = try #require(trained.weightsPath)

        let first = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, batch: 4)
        #expect(first.added == 10 && first.total == 10 && first.dimension == 8)
        try blobImages(3, into: images, prefix: "new")
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        let second = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, batch: 4)
        #expect(second.added == 3 && second.total == 13 && second.modelId == first.modelId)
        let third = try Embedder(store: store).run(weights: weights, imagesRoot: images.path)
        #expect(third.added == 0)

        let data = try Data(contentsOf: URL(fileURLWithPath: second.file))
        #expect(data.count == 13 * 8 * 4)
        let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        for row in 0..<13 {
            let norm = (0..<8).reduce(Float(0)) { $0 + values[row * 8 + $1] * values[row * 8 + $1] }
            #expect(abs(norm - 1) < 1e-4, "row \(row): \(values[(row * 8)..<(row * 8 + 8)])")
        }

        let out = images.path + "-npy"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let report = try Exporter(store: store, imagesRoot: images.path).run(
            ExportOptions(format: .npy, output: out, statuses: Set(LabelStatus.allCases)))
        #expect(report.labels == 13)
        let npy = try Data(contentsOf: URL(fileURLWithPath: out + "/embeddings.npy"))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        let header = String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'shape': (13, 8)") && (10 + headerLength) % 64 == 0)
        #expect(npy.count == 10 + headerLength + 13 * 8 * 4)
        let index = try String(contentsOfFile: out + "/index.csv", encoding: .utf8).split(separator: "\n")
        #expect(index.count == 14 && index[0] == "path,label,status")
    }
}
