import Foundation
import Learning
import NN
import PlanktermCore
import Store
import TestSupport
import Testing

@testable import Project

@Suite struct EmbeddingStorageTests {
    /// A 12-image project and the weights of a briefly trained tiny encoder (8-d features).
    static func project() throws -> (images: TemporaryDirectory, store: ProjectStore, weights: String) {
        let images = try TemporaryDirectory("plankterm-storage-images")
        try blobImages(12, into: images)
        let store = try ProjectStore.create(at: images.path + "-p")
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        var quick = tinySimCLR()
        quick.epochs = 1
        let trained = try Pretrainer(store: store, encoderConfig: tinyEncoder(), simclr: quick)
            .run(imagesRoot: images.path, resume: false)
        return (images, store, try #require(trained.weightsPath))
    }

    static func rows(_ result: EmbedResult) throws -> [[Float]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: result.file))
        let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values.count == result.total * result.dimension)
        return (0..<result.total).map { Array(values[($0 * result.dimension)..<(($0 + 1) * result.dimension)]) }
    }

    @Test("embed --dimensions N stores unit rows on N principal axes, new images on the same axes, and readers see N")
    func reduced() throws {
        let (images, store, weights) = try Self.project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: store.directory) }
        let first = try Embedder(store: store).run(
            weights: weights, imagesRoot: images.path, batch: 4, storage: .dimensions(3))
        #expect(first.dimension == 3 && first.encoderDimension == 8 && first.added == 12)
        let kept = try #require(first.varianceKept)
        #expect(kept > 0 && kept <= 1)
        let info = try EmbeddingsInfo.read(project: store.directory, modelId: first.modelId)
        #expect(info.dimension == 3 && info.encoderDimension == 8 && info.fittedOn == 12)
        let projection = EmbeddingsInfo.projectionFile(project: store.directory, modelId: first.modelId)
        let map = try PrincipalComponents.read(from: projection)
        #expect(map.inputDimension == 8 && map.outputDimension == 3)
        for row in try Self.rows(first) { #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4, "\(row)") }

        try blobImages(3, into: images, prefix: "new")
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        let second = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, batch: 4)
        #expect(second.added == 3 && second.total == 15 && second.dimension == 3)
        #expect(try PrincipalComponents.read(from: projection) == map)
        let loaded = try ProjectEmbeddings.load(store: store)
        #expect(loaded.matrix.columns == 3 && loaded.rows.count == 15)

        // Each stored row is the map applied to the image's full features (embedded again with `.full`).
        let reducedRows = try Self.rows(second), reducedRow = try store.embeddingRows(modelId: first.modelId)
        let full = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, batch: 4, storage: .full)
        #expect(full.restored != nil && full.dimension == 8 && full.added == 15)
        #expect(!FileManager.default.fileExists(atPath: projection))
        let fullRows = try Self.rows(full), fullRow = try store.embeddingRows(modelId: full.modelId)
        for (image, row) in reducedRow {
            var expected = [Float](repeating: 0, count: 3)
            fullRows[try #require(fullRow[image])].withUnsafeBufferPointer {
                map.project($0.baseAddress!, count: 1, into: &expected)
            }
            #expect(
                zip(expected, reducedRows[row]).allSatisfy { abs($0 - $1) < 1e-4 }, "\(expected) \(reducedRows[row])")
        }
    }

    @Test("full rows become principal-axis rows without the encoder: the stored rows are projected in place")
    func compacts() throws {
        let (images, store, weights) = try Self.project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: store.directory) }
        let full = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, batch: 4)
        #expect(full.dimension == 8 && full.varianceKept == nil)  // 12 images: automatic keeps the features
        let before = try Self.rows(full)
        let rowsBefore = try store.embeddingRows(modelId: full.modelId)
        let reduced = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, storage: .dimensions(2))
        #expect(reduced.compacted && reduced.added == 0 && reduced.dimension == 2 && reduced.restored == nil)
        #expect(try store.embeddingRows(modelId: full.modelId) == rowsBefore)
        let map = try PrincipalComponents.read(
            from: EmbeddingsInfo.projectionFile(project: store.directory, modelId: full.modelId))
        let after = try Self.rows(reduced)
        for (r, row) in before.enumerated() {
            var expected = [Float](repeating: 0, count: 2)
            row.withUnsafeBufferPointer { map.project($0.baseAddress!, count: 1, into: &expected) }
            #expect(zip(expected, after[r]).allSatisfy { abs($0 - $1) < 1e-6 }, "row \(r)")
        }
        // automatic keeps what is stored
        let again = try Embedder(store: store).run(weights: weights, imagesRoot: images.path)
        #expect(again.dimension == 2 && !again.compacted && again.restored == nil && again.added == 0)
    }

    @Test("a damaged projection file is named, and the rows made with it are rebuilt, never read")
    func damagedProjection() throws {
        let (images, store, weights) = try Self.project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: store.directory) }
        let first = try Embedder(store: store).run(weights: weights, imagesRoot: images.path, storage: .dimensions(3))
        let projection = EmbeddingsInfo.projectionFile(project: store.directory, modelId: first.modelId)
        try Data(repeating: 7, count: 40).write(to: URL(fileURLWithPath: projection))
        let info = try EmbeddingsInfo.read(project: store.directory, modelId: first.modelId)
        #expect { try info.projection(project: store.directory, encoderDimension: 8) } throws: {
            String(describing: $0).contains(projection)
        }
        let again = try Embedder(store: store).run(weights: weights, imagesRoot: images.path)
        let reason = try #require(again.rebuilt)
        #expect(reason.contains("projection"), "\(reason)")
        #expect(again.added == 12 && again.dimension == 3)
        #expect(try PrincipalComponents.read(from: projection).outputDimension == 3)
    }

    @Test("an embeddings record from before projections reads as full features")
    func oldRecord() throws {
        let dir = try TemporaryDirectory("plankterm-storage-old")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/embeddings", withIntermediateDirectories: true)
        try Data(
            #"{"dimension":1280,"dtype":"float32","modelId":"abc","normalised":"L2","rows":"see table embeddingRow"}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: dir.path + "/embeddings/abc.json"))
        let info = try EmbeddingsInfo.read(project: dir.path, modelId: "abc")
        #expect(info.dimension == 1280 && info.projection == nil && info.encoderDimension == nil)
        #expect(try info.projection(project: dir.path, encoderDimension: 1280) == nil)
        #expect(throws: ProjectError.self) { try info.projection(project: dir.path, encoderDimension: 256) }
    }

    @Test(
        "automatic storage: a new store is full below 2,048 images and on 512 axes from there; what is stored is kept",
        arguments: [
            (1280, nil as Int??, 2047, nil as Int?), (1280, nil, 2048, 512), (512, nil, 100_000, nil),
            (1280, .some(nil), 100_000, nil), (1280, .some(.some(384)), 10, 384)
        ])
    func automatic(encoder: Int, stored: Int??, images: Int, expected: Int?) {
        #expect(
            EmbeddingStorage.automatic.target(encoderDimension: encoder, stored: stored, images: images) == expected)
    }

    @Test("--dimensions parses auto, full and counts, and refuses the rest")
    func parses() {
        #expect(EmbeddingStorage(argument: "auto") == .automatic)
        #expect(EmbeddingStorage(argument: "full") == .full)
        #expect(EmbeddingStorage(argument: "384") == .dimensions(384))
        #expect(EmbeddingStorage(argument: "0") == nil && EmbeddingStorage(argument: "x") == nil)
    }
}
