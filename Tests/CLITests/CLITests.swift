import Foundation
import GRDB
import Store
import TestSupport
import Testing

/// The built `plankterm` binary, next to the test bundle (or PLANKTERM_BIN).
let planktermBinary: String = {
    // Writing to a child that has exited (or was killed) must fail with EPIPE, not kill the test run.
    signal(SIGPIPE, SIG_IGN)
    if let path = ProcessInfo.processInfo.environment["PLANKTERM_BIN"] { return path }
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("plankterm").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    // Tests run from the package root: .build/debug is the usual place.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/plankterm").path
}()

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs plankterm with `arguments` (and `input` on standard input) to completion.
@discardableResult
func plankterm(_ arguments: [String], input: String? = nil) throws -> RunResult {
    let r = try ChildProcess.run([planktermBinary] + arguments, input: input.map { Data($0.utf8) })
    return RunResult(
        status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self),
        stderr: String(decoding: r.stderr, as: UTF8.self))
}

/// A folder of `count` small PNGs in two class folders, and a project for it.
func smallProject(_ count: Int) throws -> (images: TemporaryDirectory, project: String) {
    let images = try TemporaryDirectory("plankterm-cli-images")
    for i in 0..<count {
        let values = (0..<(8 * 8)).map { ($0 * 13 + i * 7) % 256 + 0 * i }
        var png = PNGFixture.encode(width: 8, height: 8, type: .gray, bitDepth: 8, samples: values)
        png += Array("\(i)".utf8)  // bytes after IEND keep every file's hash distinct
        try images.write(png, to: "\(i % 2 == 0 ? "copepod" : "diatom")/img\(i).png")
    }
    let project = images.path + "-project"
    let result = try plankterm(["init", project, "--images", images.path])
    #expect(result.status == 0, "\(result.stderr)")
    return (images, project)
}

@Suite("The plankterm command line")
struct CLITests {
    @Test("every command has --help that exits 0 and says what it does")
    func help() throws {
        for (command, words) in [
            ("init", "--images"), ("import", "idempotent"), ("status", "--json"),
            ("export", "imagefolder"), ("label", "--stdin"), ("train", "--head"),
            ("eval", "--truth"), ("simulate", "--strategy"), ("abundance", "--by"),
            ("queue", "margin"), ("neighbors", "graph"), ("demo", "--seed-labels"),
            ("worker", "--follow"), ("report", "disagree"), ("label", "train_every")
        ] {
            let r = try plankterm([command, "--help"])
            #expect(r.status == 0 && r.stdout.contains(words), "\(command)")
        }
        #expect(try plankterm(["--help"]).stdout.contains("init"))
    }

    @Test(
        "errors are one line 'error: …', maybe a 'hint: …', and a non-zero exit",
        arguments: [
            ["status", "/nonexistent/project"],
            ["status"],
            ["init", "/tmp/plankterm-never", "--images", "/nonexistent/images"],
            ["export", "/nonexistent/project", "--format", "csv", "--out", "/tmp/x.csv"],
            ["export", "/tmp", "--format", "pdf", "--out", "/tmp/x"],
            ["frobnicate"]
        ])
    func errors(arguments: [String]) throws {
        let r = try plankterm(arguments)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("error: ") == true, "\(r.stderr)")
        #expect(lines.count <= 2 && lines.dropFirst().allSatisfy { $0.hasPrefix("hint: ") }, "\(r.stderr)")
        #expect(!r.stderr.contains("Program crashed"))
    }

    @Test("a hostile file name is printed with its controls and bidi overrides shown, not obeyed")
    func hostileFileNameInTheImportReport() throws {
        let images = try TemporaryDirectory("plankterm-cli-hostile")
        try images.write(Array("not a png".utf8), to: "evil\u{1B}[2J\u{1B}]0;x\u{07}\u{202E}gnp.png")
        let project = images.path + "-project"
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let r = try plankterm(["init", project, "--images", images.path])
        #expect(r.stdout.contains("failed: evil␛[2J␛]0;x␇�gnp.png: "), "\(r.stdout)")
        #expect(!r.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" })
    }

    @Test("train, status, eval, queue, abundance and export of predictions, end to end")
    func learningEndToEnd() throws {
        let (images, project) = try smallProject(24)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        // 8 images lose their label: the model predicts them and eval scores them.
        let withdrawn = (16..<24).map { "\($0 % 2 == 0 ? "copepod" : "diatom")/img\($0).png\t-" }.joined(
            separator: "\n")
        #expect(try plankterm(["label", project, "--stdin"], input: withdrawn + "\n").status == 0)
        var r = try plankterm(["status", project, "--json"])
        #expect(r.stdout.contains("\"model\":null"))
        r = try plankterm(["train", project, "--head", "knn", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let train = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in [
            "model_id", "head", "labels_used", "oof_accuracy", "oof_balanced_accuracy", "ece_before", "ece_after",
            "seconds"
        ] {
            #expect(train[key] != nil, "train --json lacks \(key)")
        }
        #expect(train["labels_used"] as? Int == 16 && train["images_predicted"] as? Int == 24)
        let model = try #require(train["model_id"] as? String)
        r = try plankterm(["status", project, "--json"])
        #expect(r.stdout.contains("\"model\":\"\(model)\""))

        r = try plankterm(["eval", project, "--truth", images.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let eval = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in [
            "accuracy", "balanced_accuracy", "macro_f1", "confusion", "classes", "sample_call", "nll", "ece", "n"
        ] { #expect(eval[key] != nil, "eval --json lacks \(key)") }
        #expect(eval["n"] as? Int == 8)
        // The text says which call each figure is of.
        r = try plankterm(["eval", project, "--truth", images.path])
        #expect(
            r.status == 0 && r.stdout.contains("the model's call (rare-class view): balanced accuracy")
                && r.stdout.contains("most probable in this sample:      balanced accuracy"), "\(r.stdout)")

        r = try plankterm(["queue", project, "--strategy", "margin", "--count", "5", "--json"])
        let queue = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let items = try #require(queue["items"] as? [[String: Any]])
        #expect(items.count == 5)
        #expect(
            items.allSatisfy {
                ($0["path"] as? String).map { p in (16..<24).contains { p.hasSuffix("img\($0).png") } } == true
            })
        #expect(items.allSatisfy { ($0["reason"] as? String)?.isEmpty == false })

        r = try plankterm(["abundance", project, "--json"])
        let abundance = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let groups = try #require(abundance["groups"] as? [[String: Any]])
        #expect(groups.compactMap { $0["name"] as? String } == ["copepod", "diatom"])
        #expect(groups.allSatisfy { ($0["refused"] as? String)?.contains("200") == true })

        let out = images.path + "-predicted.csv"
        defer {
            try? FileManager.default.removeItem(atPath: out);
            try? FileManager.default.removeItem(atPath: out + ".provenance.json")
        }
        r = try plankterm(["export", project, "--format", "csv", "--out", out, "--status", "predicted"])
        #expect(r.status == 0 && r.stdout.contains("exported 8 labels"), "\(r.stdout) \(r.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasSuffix(",probability") == true)
        #expect(
            lines.dropFirst().allSatisfy { $0.contains(",predicted,") && Double($0.split(separator: ",").last!) != nil }
        )

        r = try plankterm([
            "simulate", project, "--truth", images.path, "--strategy", "random", "--start", "4", "--step", "4",
            "--budget", "12", "--json"
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let curve = try #require(
            (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["curve"]
                as? [[String: Any]])
        #expect(curve.compactMap { $0["labels"] as? Int } == [4, 8, 12])
        #expect(curve.allSatisfy { $0["accuracy"] != nil && $0["balanced_accuracy"] != nil && $0["ece"] != nil })
    }

    @Test(
        "demo imports without folder labels, seeds a few per class, embeds, trains, and without a terminal prints the status"
    )
    func demo() throws {
        let (images, scratch) = try smallProject(20)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: scratch) }
        let project = images.path + "-demo"
        defer { try? FileManager.default.removeItem(atPath: project) }
        let r = try plankterm(["demo", "--images", images.path, "--project", project, "--seed-labels", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("seeded 6 validated labels") && r.stdout.contains("trained clf-"), "\(r.stdout)")
        #expect(r.stdout.contains("6 validated") && r.stdout.contains("plankterm label"))
        let again = try plankterm(["demo", "--project", project])
        #expect(
            again.status == 0 && !again.stdout.contains("seeded") && !again.stdout.contains("trained"),
            "\(again.stdout)")
    }

    @Test("learning commands on bad input: one error line naming the problem, and the labels stay as they were")
    func learningErrors() throws {
        let (images, project) = try smallProject(6)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let before = try plankterm(["status", project, "--json"]).stdout
        for (arguments, words) in [
            (["eval", project, "--truth", images.path], "no classifier has been trained yet"),
            (["abundance", project], "no classifier has been trained yet"),
            (["queue", project], "no classifier has been trained yet"),
            (["eval", project, "--truth", "/nonexistent/truth.csv"], "/nonexistent/truth.csv"),
            (["train", project, "--head", "forest"], "--head must be knn, linear or mlp"),
            (["report", project], "no classifier has been trained yet"),
            (["models", project, "--use", "clf-nothing"], "no classifier clf-nothing"),
            (["models", project, "--keep", "0"], "--keep must be at least 1"),
            (["train", project, "--finetune", "--epochs", "0"], "--epochs must be positive")
        ] {
            let r = try plankterm(arguments)
            #expect(r.status != 0, "\(arguments)")
            let lines = r.stderr.split(separator: "\n")
            #expect(
                lines.first?.hasPrefix("error: ") == true && lines.first!.contains(words), "\(arguments): \(r.stderr)")
            #expect(lines.count <= 2)
        }
        #expect(try plankterm(["status", project, "--json"]).stdout == before)
        // A job of an unknown kind fails with its reason; the worker says so and exits 1; labels stay.
        let store = try ProjectStore.open(at: project)
        try store.enqueueJob(kind: "teleport", time: Date())
        let worker = try plankterm(["worker", project])
        #expect(
            worker.status == 1 && worker.stdout.contains("job 1 teleport: failed · unknown job kind \"teleport\""),
            "\(worker.stdout)")
        #expect(try plankterm(["status", project, "--json"]).stdout == before)
    }

    @Test(
        "themes: the built-in ones load; a broken theme or config file is one warning with its line, then the defaults")
    func themes() throws {
        let (images, project) = try smallProject(4)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        // Without a terminal the screen cannot open, but the theme is read (and reported) first.
        for name in ["dark", "light", "high-contrast", "mono"] {
            let r = try plankterm(["label", project, "--theme", name])
            #expect(!r.stderr.contains("warning"), "\(name): \(r.stderr)")
            #expect(r.stderr.contains("must be a terminal"))
        }
        try images.write(Array("name = \"bad\"\n[colors]\ntext = \"#zzz\"\n".utf8), to: "bad.toml")
        var r = try plankterm(["label", project, "--theme", images.path + "/bad.toml"])
        #expect(
            r.stderr.contains(
                "warning: \(images.path)/bad.toml: [colors] text must be \"#rrggbb\"; using the default theme"),
            "\(r.stderr)")
        try images.write(Array("name = \"bad\"\n[colors\ntext = 1\n".utf8), to: "syntax.toml")
        r = try plankterm(["label", project, "--theme", images.path + "/syntax.toml"])
        #expect(r.stderr.contains("syntax.toml: line 2, column"), "\(r.stderr)")
        try Data("theme = \"light\"\nfont = 3\n".utf8).write(to: URL(fileURLWithPath: project + "/config.toml"))
        r = try plankterm(["label", project])
        #expect(r.stderr.contains("config.toml: unknown setting 'font'; using the defaults"), "\(r.stderr)")
        for (text, words) in [
            ("train_every = -1\n", "train_every must be a whole number"),
            ("train_idle = \"soon\"\n", "train_idle must be a whole number"),
            ("train_head = \"forest\"\n", "train_head must be knn, linear or mlp"),
            ("blitter = \"braille\"\n", "blitter must be \"half\" or \"quadrant\"")
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: project + "/config.toml"))
            r = try plankterm(["label", project])
            #expect(
                r.stderr.contains("config.toml: \(words)") && r.stderr.contains("using the defaults"),
                "\(text): \(r.stderr)")
        }
    }

    @Test("init, status --json, label, import again and export, end to end")
    func endToEnd() throws {
        let (images, project) = try smallProject(6)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        var r = try plankterm(["status", project, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["images", "failed", "classes", "validated", "predicted", "dubious"] {
            #expect(json[key] as? Int != nil, "key \(key)")
        }
        #expect(json["images"] as? Int == 6 && json["classes"] as? Int == 2 && json["validated"] as? Int == 6)

        r = try plankterm([
            "label", project, "copepod/img0.png", "nauplius", "--status", "dubious", "--annotator", "ana"
        ])
        #expect(r.status == 0 && r.stdout.hasPrefix("ok "))
        r = try plankterm(["label", project, "copepod/nope.png", "nauplius"])
        #expect(r.status != 0 && r.stderr.hasPrefix("error: no image copepod/nope.png"))
        r = try plankterm(["import", project])
        #expect(r.status == 0 && r.stdout.contains("added 0") && r.stdout.contains("0 added"))
        r = try plankterm(["status", project])
        #expect(r.stdout.contains("5 validated · 0 predicted · 1 dubious"))

        let out = images.path + "-export.csv"
        defer {
            try? FileManager.default.removeItem(atPath: out);
            try? FileManager.default.removeItem(atPath: out + ".provenance.json")
        }
        r = try plankterm(["export", project, "--format", "csv", "--out", out, "--status", "any"])
        #expect(r.status == 0 && r.stdout.contains("exported 6 labels"))
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("copepod/img0.png,nauplius,dubious,ana,"))
        r = try plankterm(["export", project, "--format", "csv", "--out", out])
        #expect(r.status == 1 && r.stderr.contains("already exists"))
    }

    @Test("SIGKILL in the middle of a long series of label writes loses no acknowledged label")
    func killMidWrite() throws {
        let (images, project) = try smallProject(50)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let process = try ChildProcess(
            [planktermBinary, "label", project, "--stdin", "--annotator", "killer"],
            stdin: .pipe, stdout: .pipe, stderr: .null)
        // Far more lines than can be written before the kill.
        let lines = (0..<20_000).map { "\($0 % 2 == 0 ? "copepod" : "diatom")/img\($0 % 50).png\tclass\($0)\n" }
            .joined()
        let writer = Thread { process.finishInput(Data(lines.utf8)) }
        writer.start()
        var acknowledged: [(Int64, String)] = []
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while acknowledged.count < 300 {
            let n = read(process.stdoutFD, &chunk, chunk.count)
            if n <= 0 { break }
            buffer.append(chunk, count: n)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                let parts = line.split(separator: " ")
                if parts.count == 3, parts[0] == "ok", let id = Int64(parts[1]) {
                    acknowledged.append((id, String(parts[2])))
                }
            }
        }
        kill(process.pid, SIGKILL)
        #expect(process.wait() == 128 + SIGKILL)
        close(process.stdoutFD)
        #expect(acknowledged.count >= 300)

        let store = try ProjectStore.open(at: project)
        #expect(try store.integrityCheck() == "ok")
        let ids = Set(
            try store.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM annotation WHERE source = 'cli'") })
        let missing = acknowledged.filter { !ids.contains($0.0) }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(5))")
        #expect(ids.count < 20_000)  // the kill really came mid-series
        // the project still works after the kill
        #expect(try plankterm(["label", project, "copepod/img0.png", "after-kill"]).status == 0)
    }

    @Test("two processes labelling one project at the same time lose nothing")
    func concurrentWriters() throws {
        let (images, project) = try smallProject(20)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let before = try ProjectStore.open(at: project).summary().annotations
        @Sendable func script(_ who: Int) -> String {
            (0..<300).map { "\($0 % 2 == 0 ? "copepod" : "diatom")/img\($0 % 20).png\tw\(who)-\($0)" }.joined(
                separator: "\n")
        }
        let results = ResultBox()
        let group = DispatchGroup()
        for who in 0..<2 {
            DispatchQueue.global().async(group: group) {
                let r = try? plankterm(["label", project, "--stdin", "--annotator", "w\(who)"], input: script(who))
                results.add(r)
            }
        }
        group.wait()
        for r in results.all {
            #expect(r?.status == 0, "\(r?.stderr ?? "did not run")")
            #expect(r?.stdout.split(separator: "\n").count == 300)
        }
        let store = try ProjectStore.open(at: project)
        #expect(try store.summary().annotations == before + 600)
        let classes = Set(try store.read { db in try String.fetchAll(db, sql: "SELECT name FROM class") })
        #expect((0..<300).allSatisfy { classes.contains("w0-\($0)") && classes.contains("w1-\($0)") })
    }
}

@Suite("pretrain and embed through the binary")
struct LearningCLITests {
    @Test("Ctrl-C saves a checkpoint and exits 130; --resume finishes; embed uses the new encoder", .tags(.slow))
    func interruptAndResume() throws {
        let (images, project) = try smallProject(24)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        // 4 epochs of 6 steps: the Ctrl-C comes after the first epoch's checkpoint, with 18 steps (each one
        // AdamW update of EfficientNet-Lite0's 3.4 M weights, nearly a second in a debug build) still to go.
        let arguments = ["pretrain", project, "--epochs", "4", "--batch", "4", "--side", "16", "--seed", "3"]
        let process = try ChildProcess([planktermBinary] + arguments, stdout: .pipe, stderr: .null)
        let checkpoint = project + "/models/pretrain-checkpoint.safetensors"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.pid, SIGINT)
        let text = String(decoding: ChildProcess.readAll(process.stdoutFD), as: UTF8.self)
        #expect(process.wait() == 130, "\(text)")
        #expect(text.contains("--resume"))
        #expect(FileManager.default.fileExists(atPath: checkpoint))

        let resumed = try plankterm(arguments + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("encoder ") && resumed.stdout.contains("saved"))
        let embedded = try plankterm(["embed", project])
        #expect(embedded.status == 0 && embedded.stdout.contains("24 images embedded"), "\(embedded.stderr)")
        let again = try plankterm(["embed", project])
        #expect(again.stdout.contains("0 images embedded, 24 in all"))
        let bad = try plankterm(["embed", project, "--weights", "/nonexistent.safetensors"])
        #expect(bad.status == 1 && bad.stderr.hasPrefix("error: /nonexistent.safetensors: no such weights file"))
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [RunResult?] = []
    func add(_ r: RunResult?) { lock.withLock { results.append(r) } }
    var all: [RunResult?] { lock.withLock { results } }
}
