import Foundation
import GRDB
import TestSupport
import Testing

/// The labeling screen driven as a person would: the real binary in tmux, keys by `send-keys`, the
/// screen read by `capture-pane`. What the screen does with keys, sizes and pastes is tested in-process
/// (LabelingTests' `LabelingLoopTests`, TerminalTests' `KeyDecoderTests`); these are end-to-end smoke tests
/// of the real terminal and database.
final class TmuxSession {
    let name = "plankterm-test-\(UUID().uuidString.prefix(8))"

    init(_ command: String, width: Int = 100, height: Int = 30) throws {
        // No pipes here: a tmux server started by this call would hold them open forever.
        try Self.tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command], capture: false)
    }

    deinit { _ = try? Self.tmux(["kill-session", "-t", name], capture: false) }

    /// tmux on a socket of this test run, without the user's configuration. Nothing of ours is
    /// inherited: a tmux server started by this call would otherwise hold our pipes open forever.
    @discardableResult
    static func tmux(_ arguments: [String], capture: Bool = true) throws -> String {
        let child = try ChildProcess(
            ["tmux", "-L", socket, "-f", "/dev/null"] + arguments,
            stdout: capture ? .pipe : .null, stderr: .null)
        let data = capture ? ChildProcess.readAll(child.stdoutFD) : Data()
        child.wait()
        return String(decoding: data, as: UTF8.self)
    }

    static let socket = "plankterm-tests-\(getpid())"

    func keys(_ keys: String...) throws { try Self.tmux(["send-keys", "-t", name] + keys, capture: false) }

    func screen() throws -> String { try Self.tmux(["capture-pane", "-t", name, "-p"]) }

    var alive: Bool { ((try? Self.tmux(["list-sessions", "-F", "#{session_name}"])) ?? "").contains(name) }

    /// Waits until the screen contains `text` (up to `seconds`).
    @discardableResult
    func wait(for text: String, seconds: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if last.contains(text) { return last }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(text.debugDescription); the screen was:\n\(last)")
        return last
    }

    func waitForExit(seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while alive && Date() < deadline { usleep(100_000) }
    }
}

@Suite("The labeling screen in tmux", .serialized)
struct LabelScreenTests {
    /// A project of 24 images in two class folders, 12 of them unlabelled again, a kNN model trained.
    func project() throws -> (TemporaryDirectory, String) {
        let (images, project) = try smallProject(24)
        let withdrawn = (12..<24).map { "\($0 % 2 == 0 ? "copepod" : "diatom")/img\($0).png\t-" }.joined(
            separator: "\n")
        #expect(try plankterm(["label", project, "--stdin"], input: withdrawn + "\n").status == 0)
        let r = try plankterm(["train", project, "--head", "knn", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return (images, project)
    }

    func tuiAnnotations(_ project: String) throws -> [(path: String, label: String?, status: String, source: String)] {
        // The screen's process may still be closing its connection (a WAL checkpoint): wait for locks.
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let db = try DatabaseQueue(path: project + "/plankterm.sqlite", configuration: configuration)
        return try db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT i.path, c.name, a.status, a.source FROM annotation a JOIN image i ON i.id = a.imageId
                    LEFT JOIN class c ON c.id = a.classId WHERE a.source LIKE 'tui%' ORDER BY a.id
                    """
            ).map { ($0[0], $0[1], $0[2], $0[3]) }
        }
    }

    @Test("label 5 images with different keys, undo one, quit: the database holds exactly those labels")
    func labelUndoQuit() throws {
        let (images, project) = try project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let tui = try TmuxSession("\(planktermBinary) label \(project) --annotator e2e; sleep 5")
        try tui.wait(for: "labelled this session: 0")
        try tui.keys("a"); try tui.wait(for: "labelled this session: 1")
        try tui.keys("1"); try tui.wait(for: "labelled this session: 2")
        try tui.keys("d"); try tui.wait(for: "labelled this session: 3")
        try tui.keys("t"); try tui.wait(for: "class: ")
        try tui.keys("diat"); try tui.wait(for: "class: diat")
        try tui.keys("Enter"); try tui.wait(for: "labelled this session: 4")
        try tui.keys("Enter"); try tui.wait(for: "labelled this session: 5")
        try tui.keys("u"); try tui.wait(for: "undone")
        // Bulk: select neighbours 1-3 and give them the current image's label, as one keystroke.
        try tui.keys("Space"); try tui.wait(for: "1 neighbours selected")
        try tui.keys("l"); try tui.keys("l"); try tui.keys("V"); try tui.wait(for: "3 neighbours selected")
        try tui.keys("A"); try tui.wait(for: "to 3 neighbours")
        try tui.keys("q")
        try tui.wait(for: "8 labels given")
        let rows = try tuiAnnotations(project)
        #expect(rows.count == 9, "\(rows)")
        #expect(rows.prefix(5).allSatisfy { $0.source == "tui" && $0.label != nil })
        #expect(rows[2].status == "dubious" && rows[3].label == "diatom")
        // The undo withdrew the 5th label (that image had none before).
        #expect(rows[5].source == "tui:undo" && rows[5].label == nil && rows[5].path == rows[4].path)
        // The bulk assignment: 3 more labels, all the same class, on 3 other images.
        let bulk = rows[6...8]
        #expect(bulk.allSatisfy { $0.source == "tui" && $0.status == "validated" && $0.label == bulk.first!.label })
        #expect(Set(bulk.map(\.path)).count == 3)
        let db = try DatabaseQueue(path: project + "/plankterm.sqlite")
        let batches = try db.read {
            try Int.fetchOne(
                $0, sql: "SELECT COUNT(DISTINCT batch) FROM labelAction WHERE batch IS NOT NULL AND undone = 0")
        }
        #expect(batches == 1)
    }

    @Test("kill -9 mid-session loses nothing acknowledged, and undo still works after the restart")
    func killAndRestart() throws {
        let (images, project) = try project()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        var tui: TmuxSession? = try TmuxSession("\(planktermBinary) label \(project) --annotator e2e")
        try tui!.wait(for: "labelled this session: 0")
        try tui!.keys("a"); try tui!.wait(for: "labelled this session: 1")
        try tui!.keys("a"); try tui!.wait(for: "labelled this session: 2")
        try ChildProcess(["pkill", "-9", "-f", "label \(project)"], stdout: .null, stderr: .null).wait()
        tui!.waitForExit()
        tui = nil
        #expect(try tuiAnnotations(project).count == 2)

        let again = try TmuxSession("\(planktermBinary) label \(project) --annotator e2e; sleep 5")
        try again.wait(for: "labelled this session: 0")
        try again.keys("u"); try again.wait(for: "undone")
        try again.keys("q"); try again.wait(for: "0 labels given")
        let rows = try tuiAnnotations(project)
        #expect(rows.count == 3)
        #expect(rows[2].source == "tui:undo" && rows[2].path == rows[1].path && rows[2].label == nil)
    }
}
