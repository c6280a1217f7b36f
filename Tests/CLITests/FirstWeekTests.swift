import Foundation
import GRDB
import NN
import TestSupport
import Testing

/// What a lab meets in its first week: bad paths given to every command, and a nightly worker that trains
/// on labels a script imported.
@Suite("A lab's first week: bad paths for every command, and the worker that trains on new labels", .serialized)
struct FirstWeekTests {
    /// The validated labels of a project, as `status` prints them.
    func labelLine(_ project: String) throws -> String {
        try plankterm(["status", project]).stdout.split(separator: "\n").first { $0.hasPrefix("labels") }.map(
            String.init) ?? ""
    }

    @Test(
        "every command given a missing path, a folder for a file, an unreadable file or a file for a folder: one clear line, no label changed"
    )
    func badPathsForEveryCommand() throws {
        let (images, project) = try smallProject(8)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        let before = try labelLine(project)
        let missing = images.path + "-nothing-here"
        let folder = images.path + "/copepod"  // a folder where a file is expected
        let file = images.path + "/copepod/img0.png"  // a file where a folder is expected
        let unreadable = "/proc/self/mem"  // reading it fails even for root
        // An encoder file whose configuration asks for an orientation count plankterm does not have.
        var badConfig = EncoderConfig()
        badConfig.side = 8
        badConfig.widths = [4, 6]
        badConfig.strides = [1, 2]
        badConfig.orientations = 3
        let badWeights = images.path + "-orientations.safetensors"
        try Encoder(badConfig, seed: 1).save(to: badWeights)
        defer { try? FileManager.default.removeItem(atPath: badWeights) }
        let newProject = images.path + "-new"
        defer { try? FileManager.default.removeItem(atPath: newProject) }
        let cases: [(String, [String])] = [
            ("missing project", ["status", missing]),
            ("file as project", ["status", file]),
            ("folder that is no project", ["train", folder]),
            ("missing images", ["init", newProject, "--images", missing]),
            ("file as images", ["init", newProject, "--images", file]),
            ("missing labels", ["import", project, "--labels", missing + ".csv"]),
            ("folder without tables as labels", ["import", project, "--labels", folder]),
            ("unreadable labels", ["import", project, "--labels", unreadable]),
            ("image as labels", ["import", project, "--labels", file]),
            ("init with missing labels", ["init", newProject, "--images", images.path, "--labels", missing]),
            ("missing truth", ["eval", project, "--truth", missing]),
            ("unreadable truth", ["eval", project, "--truth", unreadable]),
            ("missing weights", ["embed", project, "--weights", missing]),
            ("folder as weights", ["embed", project, "--weights", folder]),
            ("unreadable weights", ["embed", project, "--weights", unreadable]),
            ("weights asking for 3 orientations", ["embed", project, "--weights", badWeights]),
            ("file as export folder", ["export", project, "--format", "csv", "--out", file + "/labels.csv"]),
            ("missing export folder", ["export", project, "--format", "csv", "--out", missing + "/deep/labels.csv"]),
            (
                "missing simulate truth",
                ["simulate", project, "--truth", missing, "--start", "2", "--step", "2", "--budget", "4"]
            ),
            ("file as image folder on import", ["import", project, "--images", file])
        ]
        let bad = try plankterm(["embed", project, "--weights", badWeights])
        #expect(
            bad.stderr.contains(badWeights) && bad.stderr.contains("orientations must be one of 1, 2, 4, 8, not 3"),
            "\(bad.stderr)")
        for (what, arguments) in cases {
            let r = try plankterm(arguments)
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status != 0, "\(what): exit \(r.status)")
            #expect(
                lines.first?.hasPrefix("error: ") == true && lines.count <= 2
                    && (lines.count == 1 || lines[1].hasPrefix("hint: ")), "\(what): \(r.stderr)")
            #expect(
                !r.stderr.contains("Domain") && !r.stderr.contains("could not be completed")
                    && !r.stderr.contains("Error("), "\(what): \(r.stderr)")
            #expect(lines.first.map { $0.count < 300 } == true, "\(what): \(r.stderr)")
        }
        #expect(try labelLine(project) == before)
        #expect(!FileManager.default.fileExists(atPath: newProject + "/plankterm.sqlite"))
    }

    @Test(
        "labels imported by a script, then 'plankterm worker': it trains by itself, exits 0, and report shows before → after"
    )
    func workerTrainsOnNewLabels() throws {
        let (images, project) = try smallProject(24)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        var r = try plankterm(["train", project, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let db = try DatabaseQueue(path: project + "/plankterm.sqlite")
        func current() throws -> String? {
            try db.read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'currentModel'") }
        }
        let first = try current()
        // Nothing new: the worker has nothing to do.
        r = try plankterm(["worker", project])
        #expect(r.status == 0 && !r.stdout.contains("train: queued"), "\(r.stdout)")
        #expect(try current() == first)
        // A script relabels some images from a CSV, as a lab's pipeline would.
        let csv = images.path + "-relabel.csv"
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let rows = (0..<6).map { "copepod/img\($0 * 2).png,nauplius" }
        try Data((["path,label"] + rows).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: csv))
        r = try plankterm(["import", project, "--labels", csv, "--replace-labels"])
        #expect(r.status == 0 && r.stdout.contains("6 added"), "\(r.stdout)")
        r = try plankterm(["worker", project])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("train: queued") && r.stdout.contains("train: done"), "\(r.stdout)")
        let second = try current()
        #expect(second != nil && second != first)
        let report = try plankterm(["report", project, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect(
            json["previous_model_id"] as? String == first && json["model_id"] as? String == second,
            "\(report.stdout.prefix(400))")
        #expect(json["balanced_accuracy_before"] != nil && json["balanced_accuracy_after"] != nil)
        // Up to date again: a second run queues nothing.
        r = try plankterm(["worker", project])
        #expect(r.status == 0 && !r.stdout.contains("train: queued"))
    }
}
