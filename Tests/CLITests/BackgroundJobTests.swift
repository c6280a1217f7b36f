import Foundation
import GRDB
import NN
import TestSupport
import Testing

/// What the background-job suites share: the project's database, read beside the running processes.
protocol JobDatabaseReading {}

extension JobDatabaseReading {
    func database(_ project: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        return try DatabaseQueue(path: project + "/plankterm.sqlite", configuration: configuration)
    }

    func currentModel(_ db: DatabaseQueue) throws -> String? {
        try db.read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'currentModel'") }
    }
}

/// The background learning queue through the binary: the labeling screen training by itself (in tmux),
/// and the worker's jobs, one of them killed midway. Two suites, each run one test at a time, so that
/// the jobs do not wait behind the screens and the suite is not the whole run's longest chain.
@Suite("Background training jobs", .serialized)
struct BackgroundJobTests: JobDatabaseReading {

    @Test(
        "after train_every labels the screen queues and runs training itself; the new model reaches the screen while labeling goes on"
    )
    func screenTrainsByItself() throws {
        let (images, project) = try LabelScreenTests().project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        try "train_every = 3\ntrain_head = \"knn\"\n".write(
            toFile: project + "/config.toml", atomically: true, encoding: .utf8)
        let db = try database(project)
        let before = try currentModel(db)
        #expect(before != nil)
        let tui = try TmuxSession("\(planktermBinary) label \(project) --annotator e2e; sleep 5")
        try tui.wait(for: "labelled this session: 0")
        for n in 1...3 { try tui.keys("a"); try tui.wait(for: "labelled this session: \(n)") }
        let landed = try tui.wait(for: "new model clf-", seconds: 60)
        let after = try currentModel(db)
        #expect(after != nil && after != before)
        #expect(landed.contains("model \(after ?? "?")"))
        // Labeling goes on with the new model's queue.
        try tui.keys("a"); try tui.wait(for: "labelled this session: 4")
        try tui.keys("q"); try tui.wait(for: "4 labels given")
        let jobs = try db.read { try Row.fetchAll($0, sql: "SELECT state, parameters FROM job ORDER BY id") }
        #expect(jobs.first.map { ($0[0] as String) == "done" && ($0[1] as String).contains("knn") } == true, "\(jobs)")
        // The label given after the model landed is queued for training at quit.
        #expect(jobs.last.map { ($0[0] as String) == "pending" } == true, "\(jobs)")
    }

    @Test("labels given, then no key for train_idle seconds: the screen trains on them")
    func idleTrigger() throws {
        let (images, project) = try LabelScreenTests().project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        try "train_every = 0\ntrain_idle = 2\ntrain_head = \"knn\"\n".write(
            toFile: project + "/config.toml", atomically: true, encoding: .utf8)
        let db = try database(project)
        let before = try currentModel(db)
        let tui = try TmuxSession("\(planktermBinary) label \(project) --annotator e2e; sleep 5")
        try tui.wait(for: "labelled this session: 0")
        // No label yet: idling trains nothing.
        usleep(3_000_000)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM job") } == 0)
        try tui.keys("a"); try tui.wait(for: "labelled this session: 1")
        try tui.wait(for: "idle for 2 s", seconds: 10)
        let deadline = Date().addingTimeInterval(60)
        while try currentModel(db) == before && Date() < deadline { usleep(200_000) }
        #expect(try currentModel(db) != before)
        try tui.keys("q"); try tui.wait(for: "1 labels given")
    }

    @Test(
        "two screens and a worker on one project: both screens' labels are kept, one job runs at a time, both screens get the new model",
        .tags(.slow))
    func twoScreensAndAWorker() throws {
        let (images, project) = try smallProject(1_500)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        #expect(try plankterm(["bench", "synthetic-embeddings", project, "--separator", "/"]).status == 0)
        // 600 images unlabelled again, so the queues have work.
        let withdrawn = (900..<1_500).map { "\($0 % 2 == 0 ? "copepod" : "diatom")/img\($0).png\t-" }.joined(
            separator: "\n")
        #expect(try plankterm(["label", project, "--stdin"], input: withdrawn + "\n").status == 0)
        #expect(try plankterm(["train", project, "--head", "knn"]).status == 0)
        try "train_every = 3\ntrain_head = \"mlp\"\n".write(
            toFile: project + "/config.toml", atomically: true, encoding: .utf8)
        let db = try database(project)
        let before = try currentModel(db)

        let worker = try ChildProcess(
            [planktermBinary, "worker", project, "--follow", "--interval", "0.3"], stdout: .null, stderr: .null)
        defer { kill(worker.pid, SIGTERM); worker.wait() }
        let a = try TmuxSession("\(planktermBinary) label \(project) --annotator ana; sleep 5")
        let b = try TmuxSession("\(planktermBinary) label \(project) --annotator bo; sleep 5")
        try a.wait(for: "labelled this session: 0")
        try b.wait(for: "labelled this session: 0")
        for n in 1...3 { try a.keys("a"); try a.wait(for: "labelled this session: \(n)") }
        // While the MLP trains (tens of seconds in a debug build, in whichever process took the job), the
        // status bars show its progress and both screens take labels.
        try a.wait(for: " % · ", seconds: 30)
        try b.wait(for: " % · ", seconds: 10)
        try b.keys("a"); try b.wait(for: "labelled this session: 1")
        try b.keys("a"); try b.wait(for: "labelled this session: 2")
        try a.keys("a"); try a.wait(for: "labelled this session: 4")
        #expect(try currentModel(db) == before, "the job ended before the screens took their labels")
        let deadline = Date().addingTimeInterval(240)
        while try currentModel(db) == before && Date() < deadline { usleep(200_000) }
        let after = try currentModel(db)
        let jobTable = try db.read { try Row.fetchAll($0, sql: "SELECT id, state, owner, message, error FROM job") }
        #expect(after != nil && after != before, "jobs: \(jobTable); worker running: \(worker.isRunning)")
        try a.wait(for: "model \(after ?? "?")")
        try b.wait(for: "model \(after ?? "?")")
        try a.keys("q"); try a.wait(for: "4 labels given")
        try b.keys("q"); try b.wait(for: "2 labels given")

        let labels = try db.read {
            try Row.fetchAll(
                $0,
                sql:
                    "SELECT annotator, COUNT(*) FROM annotation WHERE source = 'tui' GROUP BY annotator ORDER BY annotator"
            )
        }
        #expect(labels.map { "\($0[0] as String)=\($0[1] as Int)" } == ["ana=4", "bo=2"])
        // One job at a time: no two jobs' running intervals overlap.
        let runs = try db.read {
            try Row.fetchAll(
                $0, sql: "SELECT startedAt, finishedAt FROM job WHERE startedAt IS NOT NULL ORDER BY startedAt")
        }
        .map { ($0[0] as Date, ($0[1] as Date?) ?? .distantFuture) }
        #expect(!runs.isEmpty)
        for (x, y) in zip(runs, runs.dropFirst()) { #expect(x.1 <= y.0, "\(runs)") }
    }

}

@Suite(
    "Background jobs run by the worker: killed mid-job, embedding new images, pretraining, fine-tuning", .serialized)
struct WorkerJobTests: JobDatabaseReading {
    @Test(
        "SIGKILL of the worker in the middle of a train job: the previous model stays, the job is marked failed, a new run completes"
    )
    func workerKilledMidJob() throws {
        let (images, project) = try smallProject(1_500)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        #expect(try plankterm(["bench", "synthetic-embeddings", project, "--separator", "/"]).status == 0)
        let first = try plankterm(["train", project, "--head", "knn", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let db = try database(project)
        let before = try currentModel(db)
        let predictionsBefore = try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM prediction") }
        // An MLP on 1,500 labels in a debug build runs for many seconds: time to kill it.
        #expect(try plankterm(["train", project, "--head", "mlp", "--queue"]).stdout.contains("queued as job"))
        let worker = try ChildProcess([planktermBinary, "worker", project], stdout: .null, stderr: .null)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && worker.isRunning {
            if try db.read({ try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM job WHERE state = 'running'") }) == 1 {
                break
            }
            usleep(50_000)
        }
        usleep(1_000_000)
        #expect(worker.isRunning, "the job ended before it could be killed")
        kill(worker.pid, SIGKILL)
        #expect(worker.wait() == 128 + SIGKILL)
        #expect(try currentModel(db) == before)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM prediction") } == predictionsBefore)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM model WHERE kind = 'classifier'") } == 1)

        // The next worker finds the dead job, marks it failed and runs a new one to the end.
        #expect(try plankterm(["train", project, "--head", "knn", "--queue"]).status == 0)
        let next = try plankterm(["worker", project])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(next.stdout.contains("done"))
        let states = try db.read { try Row.fetchAll($0, sql: "SELECT state, error FROM job ORDER BY id") }
        #expect(states.count == 2)
        #expect((states[0][0] as String) == "failed" && (states[0][1] as String? ?? "").contains("interrupted"))
        #expect((states[1][0] as String) == "done")
        let after = try currentModel(db)
        #expect(after != nil && after != before)
        #expect(
            try db.read {
                try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM prediction WHERE modelId = ?", arguments: [after])
            } == 1_500)

        // What changed, against the model that stayed current through the crash.
        let report = try plankterm(["report", project, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        #expect(json?["previous_model_id"] as? String == before)
        #expect(json?["model_id"] as? String == after)
        #expect(json?["images_predicted"] as? Int == 1_500)
        #expect(json?["ece_before"] is Double && json?["ece_after"] is Double)
        #expect((json?["validated_disagreeing_before"] as? Int).map { $0 >= 0 } == true)
    }

    @Test("an import that adds images queues their embedding; the worker embeds them and extends the graph")
    func importQueuesEmbedding() throws {
        let (images, project) = try smallProject(12)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        #expect(try plankterm(["train", project, "--head", "knn"]).status == 0)  // embeds the first 12
        for i in 12..<14 {
            var png = PNGFixture.encode(
                width: 8, height: 8, type: .gray, bitDepth: 8, samples: (0..<64).map { ($0 * 29 + i) % 256 })
            png += Array("\(i)".utf8)
            try images.write(png, to: "copepod/new\(i).png")
        }
        let imported = try plankterm(["import", project])
        #expect(imported.stdout.contains("embedding the new images is queued"), "\(imported.stdout)")
        let worker = try plankterm(["worker", project])
        #expect(
            worker.status == 0 && worker.stdout.contains("2 images embedded, 14 in all"),
            "\(worker.stdout)\(worker.stderr)")
        let neighbours = try plankterm(["neighbors", project, "copepod/new12.png"])
        #expect(
            neighbours.status == 0 && neighbours.stdout.contains("copepod/"), "\(neighbours.stdout)\(neighbours.stderr)"
        )
        #expect(try plankterm(["models", project]).stdout.contains("* clf-"))
    }

    @Test(
        "a queued pretraining runs in the worker, embeds every image with the new encoder and queues training on it",
        .tags(.slow))
    func pretrainJob() throws {
        let (images, project) = try smallProject(24)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let queued = try plankterm([
            "pretrain", project, "--queue", "--epochs", "1", "--batch", "4", "--side", "16", "--seed", "2"
        ])
        #expect(queued.stdout.contains("pretraining queued as job 1"), "\(queued.stdout)\(queued.stderr)")
        let worker = try plankterm(["worker", project])
        #expect(worker.status == 0, "\(worker.stdout)\(worker.stderr)")
        #expect(worker.stdout.contains("job 1 pretrain: done · encoder "), "\(worker.stdout)")
        #expect(worker.stdout.contains("24 images embedded"), "\(worker.stdout)")
        #expect(worker.stdout.contains("job 2 train: done · model clf-"), "\(worker.stdout)")
        #expect(!FileManager.default.fileExists(atPath: project + "/models/pretrain-checkpoint.safetensors"))
    }

    @Test(
        "a fine-tune changes only the encoder's last stage, embeds every image with it and queues training",
        .tags(.slow))
    func fineTuneJob() throws {
        let (images, project) = try smallProject(24)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        #expect(try plankterm(["train", project, "--head", "knn"]).status == 0)  // embeds with the shipped encoder
        #expect(
            try plankterm(["train", project, "--finetune", "--epochs", "2"]).stdout.contains(
                "fine-tuning queued as job 1"))
        let worker = try plankterm(["worker", project])
        #expect(worker.status == 0, "\(worker.stdout)\(worker.stderr)")
        #expect(worker.stdout.contains("job 1 finetune: done · encoder "), "\(worker.stdout)")
        #expect(worker.stdout.contains("job 2 train: done · model clf-"), "\(worker.stdout)")
        let tuned = try FileManager.default.contentsOfDirectory(atPath: project + "/models").filter {
            $0.hasPrefix("encoder-")
        }
        try #require(tuned.count == 1, "\(tuned)")
        let db = try database(project)
        let original = try db.read { db -> String? in
            let json = try String.fetchOne(
                db, sql: "SELECT parameters FROM model WHERE kind = 'encoder' AND parameters NOT LIKE '%finetunedFrom%'"
            )
            return json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["weights"]
                as? String
        }
        let (before, _) = try Encoder.load(from: try #require(original))
        let (after, _) = try Encoder.load(from: project + "/models/" + tuned[0])
        var changed = 0, frozenDiffers: [String] = []
        for view in after.parameters.parameters where !view.name.hasPrefix("proj.") {
            let a = Array(UnsafeBufferPointer(start: after.parameters.value(view), count: view.count))
            let b = before.parameters.parameters.first { $0.name == view.name }.map {
                Array(UnsafeBufferPointer(start: before.parameters.value($0), count: $0.count))
            }
            if after.isInLastStage(view.name) {
                changed += a != b ? 1 : 0
            } else if a != b {
                frozenDiffers.append(view.name)
            }
        }
        for view in after.parameters.states where !after.isInLastStage(view.name) {
            let a = Array(UnsafeBufferPointer(start: after.parameters.stateValue(view), count: view.count))
            let b = before.parameters.states.first { $0.name == view.name }.map {
                Array(UnsafeBufferPointer(start: before.parameters.stateValue($0), count: $0.count))
            }
            if a != b { frozenDiffers.append(view.name) }
        }
        #expect(frozenDiffers.isEmpty, "\(frozenDiffers)")
        #expect(changed > 0)
    }
}
