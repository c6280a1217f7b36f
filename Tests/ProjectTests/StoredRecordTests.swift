import Foundation
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
        try store.registerModel(
            id: "e1", kind: "encoder",
            parameters: EncoderParameters(
                weights: "models/encoder-e1.safetensors",
                epochs: 1
            ).json, createdAt: Date())
        #expect(
            try Embedder.weights(ofEncoder: "e1", store: store) == store.directory + "/models/encoder-e1.safetensors")
        _ = try SyntheticEmbeddings.write(store: store, dimension: 16) { $0 }
        let stored = try #require(try store.models(kind: "encoder").first { $0.id == "synthetic-d16-s1" })
        #expect(
            try EncoderParameters(json: stored.parameters)
                == EncoderParameters(dimension: 16, seed: 1, synthetic: true, noise: 0.5))
        let info = try JSONDecoder().decode(
            EmbeddingsInfo.self,
            from: Data(contentsOf: URL(fileURLWithPath: store.directory + "/embeddings/synthetic-d16-s1.json")))
        #expect(info == EmbeddingsInfo(modelId: "synthetic-d16-s1", dimension: 16, synthetic: true))
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
