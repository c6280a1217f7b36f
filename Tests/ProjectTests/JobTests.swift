import Foundation
import Learning
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

/// An empty project (no images) in a temporary folder.
func emptyProject() throws -> (TemporaryDirectory, ProjectStore) {
    let folder = try TemporaryDirectory("plankterm-jobs")
    return (folder, try ProjectStore.create(at: folder.path + "/project"))
}

/// What `Job(kind:parameters:)` says of stored parameters it refuses.
private func refusal(_ kind: String, _ parameters: String) -> String? {
    do {
        _ = try Job(kind: kind, parameters: parameters)
        return nil
    } catch {
        return String(describing: error)
    }
}

@Suite("Typed jobs: kinds, parameters and de-duplication")
struct TypedJobTests {
    /// One job of every kind, each with settings other than the defaults where it has any.
    static let samples: [Job] = [
        .train(TrainJobParameters(head: .mlp, reason: "asked for", calibration: .temperature, folds: 3, seed: 9)),
        .embed,
        .pretrain(
            PretrainJobParameters(
                epochs: 7, batch: 32, side: 96, seed: 4, initialWeights: "/w/start.safetensors",
                learningRate: 1e-4)),
        .finetune(FineTuneJobParameters(epochs: 2, batch: 16, learningRate: 1e-3, seed: 5)),
        .abundance(AbundanceJobParameters(by: "station"))
    ]

    @Test("every kind goes into the job table and comes out as the same job")
    func kindsRoundTrip() throws {
        #expect(Set(Self.samples.map(\.kind)) == Set(Job.Kind.allCases))
        let (folder, store) = try emptyProject()
        defer { folder.remove() }
        for job in Self.samples {
            let id = try store.enqueue(job, time: Date())
            let record = try #require(try store.job(id))
            #expect(record.kind == job.kind.rawValue && record.jobKind == job.kind)
            #expect(try Job(record) == job, "\(record.kind) \(record.parameters)")
        }
        #expect(try store.jobs().count == Self.samples.count)
    }

    @Test("parameters as earlier plankterms stored them still read, a left-out setting taking its default")
    func storedParametersRead() throws {
        // Written by TrainJobParameters.json, by PretrainJobParameters before and after it had a start, by the
        // screen's `:abundance` (a dictionary) and by the store's default for jobs without parameters.
        #expect(
            try Job(kind: "train", parameters: #"{"head":"mlp","reason":"50 new labels"}"#)
                == .train(TrainJobParameters(head: .mlp, reason: "50 new labels")))
        #expect(
            try Job(
                kind: "train",
                parameters:
                    #"{"calibration":"none","folds":3,"head":"knn","reason":"plankterm train --queue","seed":7}"#)
                == .train(
                    TrainJobParameters(
                        head: .knn, reason: "plankterm train --queue", calibration: Calibration.Method.none,
                        folds: 3, seed: 7)))
        #expect(try Job(kind: "train", parameters: "{}") == .train(TrainJobParameters(head: .linear, reason: "")))
        #expect(
            try Job(kind: "pretrain", parameters: #"{"batch":128,"epochs":100,"seed":0,"side":64}"#)
                == .pretrain(PretrainJobParameters(epochs: 100)))
        let adapting =
            #"{"batch":128,"epochs":15,"initialWeights":"\/opt\/plankterm\/efficientnet-lite0-imagenet.safetensors","learningRate":0.0001,"seed":0,"side":128}"#
        #expect(
            try Job(kind: "pretrain", parameters: adapting)
                == .pretrain(
                    PretrainJobParameters(
                        epochs: 15, side: 128, initialWeights: "/opt/plankterm/efficientnet-lite0-imagenet.safetensors",
                        learningRate: 1e-4)))
        #expect(
            try Job(kind: "finetune", parameters: #"{"batch":64,"epochs":1,"learningRate":0.0003,"seed":0}"#)
                == .finetune(FineTuneJobParameters()))
        #expect(
            try Job(kind: "abundance", parameters: #"{"by":"sample"}"#)
                == .abundance(AbundanceJobParameters(by: "sample")))
        #expect(try Job(kind: "embed", parameters: "{}") == .embed)
    }

    @Test("parameters that do not read are refused with what is wrong, never run with defaults")
    func malformedParametersAreRefused() {
        for (kind, parameters, words) in [
            ("train", #"{"head":"svm"}"#, #"a bad value at head: must be one of knn, linear, mlp, not "svm""#),
            ("train", #"{"head":"knn","folds":1}"#, "a bad value at folds: must be at least 2, not 1"),
            ("train", #"{"head":3}"#, "a field of the wrong kind at head"),
            (
                "pretrain", #"{"epoch":5}"#,
                "a bad value at epoch: not a field of pretrain jobs (their fields: batch, epochs,"
            ),
            ("pretrain", #"{"epochs":0}"#, "a bad value at epochs: must be positive, not 0"),
            ("finetune", #"{"learningRate":-1}"#, "a bad value at learningRate: must be positive"),
            ("abundance", #"{"by":""}"#, "a bad value at by:"),
            ("embed", #"{"images":"all"}"#, "not a field of embed jobs (they have none)"),
            ("train", "{head: linear}", "not valid JSON"),
            ("finetune", "[1]", "not a JSON object")
        ] {
            let message = refusal(kind, parameters)
            #expect(message?.hasPrefix("\(kind) job with parameters \(parameters): ") == true, "\(message ?? "read")")
            #expect(message?.contains(words) == true, "\(kind) \(parameters): \(message ?? "read")")
        }
        #expect(
            refusal("teleport", "{}")
                == #"unknown job kind "teleport" (known: train, embed, pretrain, finetune, abundance)"#)
    }

    @Test("a queued job whose parameters do not read fails with the reason; the next job still runs")
    func malformedJobFails() throws {
        let (folder, store) = try emptyProject()
        defer { folder.remove() }
        let bad = try store.enqueueJob(kind: "pretrain", parameters: #"{"epochs":"many"}"#, time: Date())
        let next = try store.enqueueJob(kind: "abundance", parameters: #"{"by":"folder","groups":3}"#, time: Date())
        let finished = try JobRunner(store: store, imagesRoot: folder.path).drain()
        #expect(finished.map(\.id) == [bad, next])
        #expect(finished.map(\.state) == [.failed, .failed])
        #expect(
            finished[0].error == #"pretrain job with parameters {"epochs":"many"}: a field of the wrong kind at epochs"#
        )
        #expect(
            finished[1].error?.contains("a bad value at groups: not a field of abundance jobs (their fields: by)")
                == true,
            "\(finished[1].error ?? "")")
    }

    @Test("enqueueing returns a pending job only when it would do the same work")
    func deduplicatesByKindAndParameters() throws {
        let (folder, store) = try emptyProject()
        defer { folder.remove() }
        let linear = try store.enqueue(.train(TrainJobParameters(head: .linear, reason: "50 new labels")), time: Date())
        // `:train mlp` behind a pending linear training is its own job…
        let mlp = try store.enqueue(.train(TrainJobParameters(head: .mlp, reason: "asked for")), time: Date())
        #expect(mlp != linear)
        // …but the same training for another reason, or with its defaults spelt out, is the pending one.
        #expect(
            try store.enqueue(.train(TrainJobParameters(head: .linear, reason: "asked for")), time: Date()) == linear)
        #expect(
            try store.enqueue(
                .train(TrainJobParameters(head: .linear, reason: "x", calibration: .bcts, folds: 5, seed: 0)),
                time: Date()) == linear)
        #expect(
            try store.enqueue(.train(TrainJobParameters(head: .linear, reason: "x", seed: 1)), time: Date()) != linear)
        let folders = try store.enqueue(.abundance(AbundanceJobParameters(by: "folder")), time: Date())
        #expect(try store.enqueue(.abundance(AbundanceJobParameters(by: "station")), time: Date()) != folders)
        #expect(try store.enqueue(.abundance(AbundanceJobParameters()), time: Date()) == folders)
        let embed = try store.enqueue(.embed, time: Date())
        #expect(try store.enqueue(.embed, time: Date()) == embed)
        // A job of the same kind whose stored parameters do not read is not taken for this one.
        let broken = try store.enqueueJob(kind: "finetune", parameters: #"{"epochs":-1}"#, time: Date())
        #expect(try store.enqueue(.finetune(FineTuneJobParameters(epochs: 1)), time: Date()) != broken)
        // Once the linear training runs, asking again queues another (it may see newer labels).
        _ = try store.claimNextJob(owner: ProjectStore.jobOwner, time: Date())
        #expect(try store.enqueue(.train(TrainJobParameters(head: .linear, reason: "again")), time: Date()) != linear)
    }
}
