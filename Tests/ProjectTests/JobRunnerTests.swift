import Foundation
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

@Suite("Jobs run by JobRunner, and model versions")
struct JobRunnerTests {
    @Test("train and abundance jobs run to the end; an unknown kind fails with its reason; the next job still runs")
    func jobsRunAndFail() throws {
        let (images, store, truth) = try projectWithClusters(90)
        defer { images.remove() }
        try label(store, truth, perClass: 10)
        try store.enqueue(.train(TrainJobParameters(head: .knn, reason: "test")), time: Date())
        let runner = JobRunner(store: store)
        var seen: [JobRecord.State] = []
        let first = try runner.runNext { seen.append($0.state) }
        #expect(first?.state == .done && first?.progress == 1)
        #expect(seen.first == .running && seen.last == .done)
        let model = try #require(try store.currentClassifier()?.id)
        #expect(first?.message.contains(model) == true)

        try store.enqueueJob(kind: "pretrain-everything", time: Date())
        try store.enqueue(.abundance(AbundanceJobParameters(by: "folder")), time: Date())
        let finished = try runner.drain()
        #expect(finished.map(\.state) == [.failed, .done])
        #expect(finished[0].error?.contains("unknown job kind") == true)
        let file = store.directory + "/reports/abundance-\(model)-by-folder.json"
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        #expect((json?["groups"] as? [Any])?.count == 2)  // folders a and b
        // Without an images folder and encoder, an embed job fails instead of guessing.
        try store.enqueue(.embed, time: Date())
        #expect(try runner.runNext()?.state == .failed)
    }

    @Test("old versions are deleted down to the newest N, never the current one")
    func deleteOldVersions() throws {
        let (images, store, truth) = try projectWithClusters(60)
        defer { images.remove() }
        try label(store, truth, perClass: 6)
        var ids: [String] = []
        for seed in 1...3 {
            ids.append(
                try ClassifierRun(store: store).train(ClassifierSettings(head: .knn, seed: UInt64(seed), folds: 2))
                    .modelId)
        }
        try store.makeCurrent(classifier: ids[0])
        #expect(try store.deleteOldClassifiers(keep: 1) == [ids[1]])
        #expect(Set(try store.classifiers().map(\.id)) == [ids[0], ids[2]])
        #expect(try store.predictions(model: ids[1]).isEmpty)
        #expect(try store.predictions(model: ids[0]).count == 60)
        #expect(try store.currentClassifier()?.id == ids[0])
    }
}
