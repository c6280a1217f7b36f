import Foundation
import GRDB
import TestSupport
import Testing

/// Hostile but realistic use of the real binary: each case once lost work or stayed silent.
@Suite("Nothing lost, nothing silent: the command line and the screen", .serialized)
struct NothingLostCLITests {
    @Test("init --folder-labels off is remembered: a later plain import takes no folder names as labels")
    func folderLabelsChoiceIsRemembered() throws {
        let images = try TemporaryDirectory("plankterm-remember")
        defer { images.remove() }
        for i in 0..<6 {
            var png = PNGFixture.encode(
                width: 8, height: 8, type: .gray, bitDepth: 8, samples: (0..<64).map { ($0 * 5 + i) % 256 })
            png += Array("\(i)".utf8)
            try images.write(png, to: "\(i % 2 == 0 ? "copepod" : "diatom")/img\(i).png")
        }
        let project = images.path + "-project"
        defer { try? FileManager.default.removeItem(atPath: project) }
        var r = try plankterm(["init", project, "--images", images.path, "--folder-labels", "off"])
        #expect(r.status == 0 && r.stdout.contains("labels    0 validated"), "\(r.stdout)")
        r = try plankterm(["import", project])
        #expect(r.status == 0)
        r = try plankterm(["status", project])
        #expect(r.stdout.contains("labels    0 validated"), "\(r.stdout)")
        // Given again, a choice holds from then on.
        r = try plankterm(["import", project, "--folder-labels", "on"])
        r = try plankterm(["import", project])
        #expect(try plankterm(["status", project]).stdout.contains("labels    6 validated"))
    }

    @Test("a truncated database is refused in one line and left as it is; exports never replace the project")
    func damagedDatabaseAndGuardedExport() throws {
        let (images, project) = try smallProject(6)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        // export --force onto the project, the images or the database: one line, nothing replaced.
        for out in [project, images.path, project + "/plankterm.sqlite"] {
            let r = try plankterm(["export", project, "--format", "csv", "--out", out, "--force"])
            #expect(
                r.status == 1 && r.stderr.hasPrefix("error: ") && r.stderr.contains("exports go outside"), "\(r.stderr)"
            )
        }
        #expect(try plankterm(["status", project]).stdout.contains("labels    6 validated"))
        #expect(FileManager.default.fileExists(atPath: images.path + "/copepod/img0.png"))

        // A folder that cannot be created: the OS error in words, on one line.
        let r = try plankterm(["export", project, "--format", "csv", "--out", "/dev/null/labels.csv"])
        let lines = r.stderr.split(separator: "\n")
        #expect(r.status == 1 && lines.count == 1 && lines[0].contains("not a directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("Domain") && !r.stderr.contains("could not be completed") && r.stderr.count < 200)

        let database = project + "/plankterm.sqlite"
        try? FileManager.default.removeItem(atPath: database + "-wal")
        try? FileManager.default.removeItem(atPath: database + "-shm")
        try Data().write(to: URL(fileURLWithPath: database))
        let status = try plankterm(["status", project])
        #expect(
            status.status == 1 && status.stderr.hasPrefix("error: ") && status.stderr.contains("damaged"),
            "\(status.stderr)")
        let size = try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int
        #expect(size == 0)
    }

    @Test("a full disk is named as one: no space left on device, and nothing half-written stays behind")
    func fullDiskIsNamed() throws {
        let (images, project) = try smallProject(6)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let mountPoint = images.path + "-full"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        // A real full file system: a tiny tmpfs (needs root, which CI has), filled up.
        guard (try? ChildProcess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mountPoint]))?.status == 0
        else {
            print("skipped: cannot mount a tmpfs here (not root?): the full-disk case is not checked")
            return
        }
        defer { _ = try? ChildProcess.run(["umount", mountPoint]) }
        _ = try ChildProcess.run(["dd", "if=/dev/zero", "of=\(mountPoint)/filler", "bs=1k", "count=64"])
        let r = try plankterm(["export", project, "--format", "ecotaxa", "--out", mountPoint + "/eco"])
        let lines = r.stderr.split(separator: "\n")
        #expect(r.status == 1 && lines.count == 1 && lines[0].contains("no space left on device"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["filler"])
        #expect(try plankterm(["status", project]).stdout.contains("labels    6 validated"))
    }

    @Test("worker --follow > log writes each line as it happens")
    func workerLogIsWrittenLineByLine() throws {
        let (images, project) = try smallProject(12)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        #expect(try plankterm(["train", project, "--queue"]).status == 0)
        let log = project + "-worker.log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let worker = try ChildProcess(
            ["/bin/sh", "-c", "exec '\(planktermBinary)' worker '\(project)' --follow --interval 1 > '\(log)'"],
            stdout: .null, stderr: .null)
        defer { kill(worker.pid, SIGKILL); worker.wait() }
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("train") { break }
            usleep(200_000)
        }
        #expect(worker.isRunning, "the worker follows the queue")
        #expect(text.contains("job 1 train: "), "the log while the worker runs: \(text.debugDescription)")
    }

    @Test("keys on a screen that shows nothing are not taken: a window too small, TERM=dumb")
    func noKeysWithoutAScreen() throws {
        let (images, project) = try LabelScreenTests().project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let tui = try TmuxSession("\(planktermBinary) label \(project) --annotator e2e; sleep 5", width: 20, height: 5)
        try tui.wait(for: "window too small")
        try tui.keys("a")
        try tui.keys("d")
        usleep(500_000)
        try TmuxSession.tmux(["resize-window", "-t", tui.name, "-x", "100", "-y", "30"], capture: false)
        try tui.wait(for: "labelled this session: 0")
        try tui.keys("q")
        try tui.wait(for: "0 labels given")
        #expect(try LabelScreenTests().tuiAnnotations(project).isEmpty)

        let dumb = try TmuxSession("TERM=dumb \(planktermBinary) label \(project) --annotator e2e; sleep 5")
        let screen = try dumb.wait(for: "error:")
        #expect(screen.contains("cannot move the cursor"), "\(screen)")
        try dumb.keys("a")
        usleep(500_000)
        #expect(try LabelScreenTests().tuiAnnotations(project).isEmpty)
    }
}
