import Foundation
import TestSupport
import Testing

/// The labeling screen on a pty whose other end plays the terminal (Benchmarks/tui_pty.py --answer):
/// what it answers to the start-up queries decides which protocol the images come in.
@Suite("Graphics detection on a pty", .serialized)
struct GraphicsDetectionTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Benchmarks/tui_pty.py").standardized.path

    func play(_ project: String, answer: String, graphics: String? = nil) throws -> [String: Any] {
        let arguments =
            [
                "python3", Self.script, planktermBinary, project, "--answer", answer, "--keys", "2", "--key", "?",
                "--columns", "100", "--rows", "30"
            ] + (graphics.map { ["--graphics", $0] } ?? [])
        let r = try ChildProcess.run(arguments)
        #expect(r.status == 0, "\(String(decoding: r.stderr, as: UTF8.self))")
        let json = try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any]
        return try #require(json)
    }

    @Test("answering the kitty query gets kitty images, attributes with 4 get sixel, nothing gets blocks within 2.5 s")
    func detection() throws {
        let (images, project) = try smallProject(8)
        defer { images.remove(); try? FileManager.default.removeItem(atPath: project) }
        // Half of them unlabelled again, so the screen shows an image and its neighbours.
        let withdrawn = (4..<8).map { "\($0 % 2 == 0 ? "copepod" : "diatom")/img\($0).png\t-" }.joined(separator: "\n")
        #expect(try plankterm(["label", project, "--stdin"], input: withdrawn + "\n").status == 0)
        let kitty = try play(project, answer: "kitty")
        #expect((kitty["protocols"] as? String) == "kitty")
        let sixel = try play(project, answer: "sixel")
        #expect((sixel["protocols"] as? String) == "sixel")
        let none = try play(project, answer: "none")
        #expect((none["protocols"] as? String) == "")
        #expect((none["startup_seconds"] as? Double ?? 99) < 2.5)
        for mode in ["kitty", "sixel", "iterm"] {
            let forced = try play(project, answer: "none", graphics: mode)
            #expect((forced["protocols"] as? String) == mode, "--graphics \(mode)")
        }
        #expect((try play(project, answer: "kitty", graphics: "blocks")["protocols"] as? String) == "")
    }
}
