import Foundation
import GRDB
import Store
import TestSupport
import Testing

@testable import Project

@Suite("Encoder parameters and other records stored as JSON")
struct StoredRecordTests {
    @Test("encoder rows as pretrain, finetune, embed and synthetic embeddings wrote them still read")
    func encoderParametersRead() throws {
        // Byte for byte what JSONSerialization (sorted keys) wrote before EncoderParameters existed.
        let pretrained = try EncoderParameters(
            json:
                #"{"batch":128,"epochs":100,"finalLoss":4.123456001281738,"images":13018,"seed":0,"start":"random","weights":"models\/encoder-0a1b2c3d4e5f.safetensors"}"#
        )
        #expect(
            pretrained
                == EncoderParameters(
                    weights: "models/encoder-0a1b2c3d4e5f.safetensors", epochs: 100, seed: 0, batch: 128,
                    images: 13018, finalLoss: 4.123456001281738, start: "random"))
        let tuned = try EncoderParameters(
            json:
                #"{"classes":121,"epochs":1,"finetunedFrom":"\/p\/models\/encoder-abc.safetensors","labels":2420,"weights":"models\/encoder-def.safetensors"}"#
        )
        #expect(
            tuned
                == EncoderParameters(
                    weights: "models/encoder-def.safetensors", epochs: 1,
                    finetunedFrom: "/p/models/encoder-abc.safetensors", labels: 2420, classes: 121))
        let embedded = try EncoderParameters(
            json:
                #"{"dimension":1280,"orientations":8,"side":128,"trainer":"unknown","weights":"\/opt\/e.safetensors"}"#)
        #expect(
            embedded
                == EncoderParameters(
                    weights: "/opt/e.safetensors", trainer: "unknown", dimension: 1280, side: 128, orientations: 8))
        let synthetic = try EncoderParameters(json: #"{"dimension":128,"synthetic":true,"noise":0.5,"seed":1}"#)
        #expect(synthetic == EncoderParameters(dimension: 128, seed: 1, synthetic: true, noise: 0.5))
        for record in [pretrained, tuned, embedded, synthetic] {
            #expect(try EncoderParameters(json: record.json) == record)
        }
        #expect(try EncoderParameters(json: EncoderParameters(finalLoss: .nan).json).finalLoss?.isNaN == true)
        let info = try JSONDecoder().decode(
            EmbeddingsInfo.self,
            from: Data(
                """
                {
                  "dimension" : 1280,
                  "dtype" : "float32",
                  "modelId" : "abc",
                  "normalised" : "L2",
                  "rows" : "see table embeddingRow"
                }
                """.utf8))
        #expect(info == EmbeddingsInfo(modelId: "abc", dimension: 1280))
    }

    @Test("an encoder registered with EncoderParameters is found by its weights; synthetic rows say their dimension")
    func registeredEncoderIsFound() throws {
        let (folder, store) = try emptyProject()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: store.directory + "/models", withIntermediateDirectories: true)
        #expect(
            FileManager.default.createFile(atPath: store.directory + "/models/encoder-e1.safetensors", contents: Data())
        )
        let catalogue = EncoderCatalogue(store: store)
        try catalogue.register(
            id: "e1", parameters: EncoderParameters(weights: "models/encoder-e1.safetensors", epochs: 1),
            createdAt: Date(), currentDirectory: store.directory)
        #expect(try catalogue.weights(ofEncoder: "e1") == store.directory + "/models/encoder-e1.safetensors")
        _ = try SyntheticEmbeddings.write(store: store, dimension: 16) { $0 }
        let stored = try #require(try catalogue.encoders().first { $0.id == "synthetic-d16-s1" })
        #expect(stored.parameters == EncoderParameters(dimension: 16, seed: 1, synthetic: true, noise: 0.5))
        let info = try JSONDecoder().decode(
            EmbeddingsInfo.self,
            from: Data(contentsOf: URL(fileURLWithPath: store.directory + "/embeddings/synthetic-d16-s1.json")))
        #expect(info == EmbeddingsInfo(modelId: "synthetic-d16-s1", dimension: 16, synthetic: true))
    }

    @Test("model rows as the code before typed records wrote them (raw SQL) read with every field, and still are")
    func previousModelRowsRead() throws {
        let (images, store, truth) = try projectWithClusters(60)
        defer { images.remove() }
        try label(store, truth, perClass: 10)
        let report = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear, seed: 1))
        let trained = try #require(try store.currentClassifier())
        let parameters = try trained.parameters.get(), metrics = try trained.metrics.get()
        // How parameters and metrics were written before: JSONEncoder with sorted keys and non-finite
        // numbers as strings, bound as text.
        func old(_ value: some Encodable) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }
        let queue = try DatabaseQueue(path: ProjectStore.databasePath(in: store.directory))
        let stored = try #require(
            try queue.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT parameters, metrics FROM model WHERE id = ?", arguments: [report.modelId])
            })
        let (storedParameters, storedMetrics): (String, String) = (stored[0], stored[1])
        #expect(try storedParameters == old(parameters) && storedMetrics == old(metrics))
        var older = parameters
        older.posteriorsRows = nil
        older.posteriorsSHA256 = nil
        older.labelsThrough = nil
        older.priorDecision = nil
        older.calibrationQuality = nil
        older.outOfFoldFile = nil
        older.outOfFoldTruth = nil
        older.outOfFoldSHA256 = nil
        older.call = nil
        older.topLabelMap = nil
        try queue.write { db in
            let insert =
                "INSERT INTO model (id, kind, createdAt, parameters, metrics) VALUES (?, 'classifier', ?, ?, ?)"
            try db.execute(
                sql: insert, arguments: ["clf-a", Date(timeIntervalSince1970: 1), try old(parameters), old(metrics)])
            try db.execute(sql: insert, arguments: ["clf-b", Date(timeIntervalSince1970: 2), try old(older), "{}"])
            let encoder = "INSERT INTO model (id, kind, createdAt, parameters) VALUES (?, 'encoder', ?, ?)"
            try db.execute(
                sql: encoder,
                arguments: [
                    "e-pretrained", Date(timeIntervalSince1970: 3),
                    #"{"batch":128,"epochs":100,"finalLoss":"nan","images":13018,"seed":0,"start":"random","weights":"models\/encoder-x.safetensors"}"#
                ])
            try db.execute(
                sql: encoder,
                arguments: [
                    "e-embedded", Date(timeIntervalSince1970: 4),
                    #"{"dimension":1280,"orientations":8,"side":128,"trainer":"unknown","weights":"\/opt\/e.safetensors"}"#
                ])
        }
        let versions = try store.classifiers()
        let a = try #require(versions.first { $0.id == "clf-a" }), b = try #require(versions.first { $0.id == "clf-b" })
        #expect(try old(a.parameters.get()) == old(parameters) && old(a.metrics.get()) == old(metrics))
        #expect(try old(b.parameters.get()) == old(older))
        #expect((try? b.metrics.get()) == nil)
        let project = ProjectHandle(store: store)
        #expect(try project.modelVersions().first { $0.id == "clf-b" }?.parameters?.counts == parameters.counts)
        let encoders = try project.encoders.encoders()
        let pretrained = try #require(encoders.first { $0.id == "e-pretrained" })
        #expect(pretrained.weights == store.directory + "/models/encoder-x.safetensors")
        #expect(pretrained.parameters?.finalLoss?.isNaN == true && pretrained.parameters?.images == 13018)
        #expect(encoders.first { $0.id == "e-embedded" }?.weights == "/opt/e.safetensors")
        #expect(encoders.first { $0.id == "enc-test" }?.parameters == EncoderParameters())
    }

    @Test("an encoder's weights are recorded relative to the project when inside it, else absolute")
    func weightsPathRule() throws {
        let (folder, store) = try emptyProject()
        defer { folder.remove() }
        let catalogue = EncoderCatalogue(store: store), layout = catalogue.layout
        let cwd = (store.directory as NSString).deletingLastPathComponent
        let name = (store.directory as NSString).lastPathComponent
        try catalogue.register(
            id: "inside", parameters: EncoderParameters(weights: name + "/./models/../models/encoder-i.safetensors"),
            createdAt: Date(timeIntervalSince1970: 1), currentDirectory: cwd)
        try catalogue.register(
            id: "outside", parameters: EncoderParameters(weights: "shared/e.safetensors"),
            createdAt: Date(timeIntervalSince1970: 2), currentDirectory: cwd)
        try catalogue.register(
            id: "inside", parameters: EncoderParameters(weights: "/elsewhere.safetensors"),
            createdAt: Date(timeIntervalSince1970: 3), currentDirectory: cwd)
        let recorded = Dictionary(
            uniqueKeysWithValues: try store.models(kind: "encoder", parameters: EncoderParameters.self).map {
                ($0.id, try $0.parameters.get().weights)
            })
        #expect(recorded["inside"] == "models/encoder-i.safetensors")
        #expect(recorded["outside"] == cwd + "/shared/e.safetensors")
        #expect(layout.resolve("models/encoder-i.safetensors") == store.directory + "/models/encoder-i.safetensors")
        #expect(layout.resolve("/opt/e.safetensors") == "/opt/e.safetensors")
        // Neither file exists: both are missing, newest first, and embedding falls back to the shipped one.
        #expect(try catalogue.missingWeights().map(\.id) == ["outside", "inside"])
        #expect(try catalogue.newestWeights() == nil)
        #expect(try catalogue.embeddingWeights() == DefaultEncoder.path)
        try FileManager.default.createDirectory(atPath: layout.modelsFolder, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: layout.encoderWeights(encoder: "i"), contents: Data()))
        #expect(try catalogue.missingWeights().map(\.id) == ["outside"])
        #expect(try catalogue.embeddingWeights() == layout.encoderWeights(encoder: "i"))
    }

    @Test("an export's provenance says which filters made it, a missing threshold as null")
    func provenance() throws {
        let record = ExportProvenance(
            tool: "plankterm 1", exportedAt: "2026-12-02T00:00:00Z", project: "/p/project", projectId: "id",
            imagesRoot: "/p/images", format: "csv", statuses: ["validated"], minConfidence: nil, labels: 3,
            labelsByStatus: ["validated": 3], classes: 2)
        let json = try #require(try JSONSerialization.jsonObject(with: record.data()) as? [String: Any])
        #expect(json["minConfidence"] is NSNull)
        #expect(json["project"] as? String == "/p/project" && json["labels"] as? Int == 3)
        #expect(
            Set(json.keys) == [
                "tool", "exportedAt", "project", "projectId", "imagesRoot", "format", "statuses", "minConfidence",
                "labels", "labelsByStatus", "classes"
            ])
        #expect(String(decoding: try record.data(), as: UTF8.self).contains(#""imagesRoot" : "/p/images""#))
    }
}
