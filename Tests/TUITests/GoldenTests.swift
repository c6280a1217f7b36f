import Foundation
import Labeling
import PlanktermCore
import TestSupport
import Testing

@testable import TUI

/// Golden renders of the Label screen, compared with committed text files: characters, and a second
/// file with one letter per cell for the foreground colour role (`GoldenFiles`: `PLANKTERM_UPDATE_GOLDEN=1
/// swift test` rewrites them and fails).
@Suite struct GoldenTests {
    static let golden = GoldenFiles()

    static func disc(_ size: Int, radius: Int, dark: Bool) -> PixelImage {
        var p: [UInt8] = []
        for y in 0..<size {
            for x in 0..<size {
                let inside = (x - size / 2) * (x - size / 2) + (y - size / 2) * (y - size / 2) <= radius * radius
                p.append(inside == dark ? 40 : 220)
            }
        }
        return PixelImage(width: size, height: size, channels: 1, pixels: p)
    }

    static func fixture() -> LabelingState {
        let names = [
            "copepod_calanoid", "copepod_other", "diatom_chain", "detritus_blob", "chaetognath_sagitta",
            "appendicularian_s_shape", "trichodesmium_puff", "radiolarian_colony", "shrimp_zoea"
        ]
        var state = LabelingState(
            project: "/data/cruise42", queueName: "margin", items: (1...40).map { ImageID($0) },
            classNames: names.sorted(), modelId: "clf-0a1b2c3d4e5f")
        state.index = 6
        state.labelled = 3
        state.message = "labelled copepod_calanoid: station7/img_0042.png"
        state.current = ItemView(
            imageID: ImageID(7), path: "station7/img_0043.png", width: 57, height: 61,
            thumbnail: disc(48, radius: 15, dark: true),
            label: nil, status: nil,
            guesses: [
                Guess(name: "copepod_calanoid", probability: 0.41), Guess(name: "copepod_other", probability: 0.38),
                Guess(name: "detritus_blob", probability: 0.07)
            ],
            reason: "close call: copepod_calanoid at 41 % vs copepod_other 38 %",
            neighbors: names.enumerated().map { i, name in
                NeighborView(
                    imageID: ImageID(100 + Int64(i)), path: "n\(i).png",
                    thumbnail: disc(24, radius: 4 + i, dark: i % 2 == 0),
                    label: i % 3 == 2 ? nil : name, status: i % 3 == 2 ? nil : (i == 4 ? .dubious : .validated),
                    predicted: i % 3 == 2 ? name : nil, similarity: 0.97 - Float(i) * 0.03)
            })
        return state
    }

    static func roles(_ screen: ScreenBuffer) -> String {
        let letters: [ColorRole: Character] = [
            .background: "b", .text: "t", .dim: "d", .accent: "a", .selection: "s",
            .statusBar: "S", .confidenceLow: "l", .confidenceMedium: "m", .confidenceHigh: "h", .validated: "v",
            .predicted: "p", .dubious: "u", .warning: "w"
        ]
        return (0..<screen.height).map { y in
            String(
                (0..<screen.width).map { x -> Character in
                    switch screen[x, y].foreground {
                    case .role(let r): letters[r]!
                    case .rgb, .indexed: "#"
                    case .default: "."
                    }
                })
        }.joined(separator: "\n")
    }

    func check(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try Self.golden.check(name, actual, sourceLocation: sourceLocation)
    }

    @Test(arguments: [(80, 24), (120, 40), (40, 12), (39, 11)])
    func labelScreen(width: Int, height: Int) throws {
        let screen = LabelScreen(blitter: HalfBlockBlitter(depth: .palette256)).render(
            Self.fixture(), width: width, height: height)
        try check("label-\(width)x\(height).txt", screen.text)
        try check("label-\(width)x\(height).roles.txt", Self.roles(screen))
    }

    /// Issue 15: where the model's call (every class equally likely) is not the most probable class in this
    /// sample, the call has its own first line naming its prior, the percentages keep theirs, and the
    /// reason names the call's class.
    @Test func callThatDiffersFromTheSampleFavourite() throws {
        var state = Self.fixture()
        state.current?.guesses = [
            Guess(name: "diatom_chain", probability: 0.52), Guess(name: "copepod_calanoid", probability: 0.30),
            Guess(name: "detritus_blob", probability: 0.07)
        ]
        state.current?.call = "copepod_calanoid"
        state.current?.reason = "close call: copepod_calanoid at 46 % vs diatom_chain 31 % (rare-class view)"
        let screen = LabelScreen(blitter: HalfBlockBlitter(depth: .palette256)).render(state, width: 80, height: 24)
        let lines = screen.text.split(separator: "\n").map(String.init)
        let first = try #require(lines.firstIndex { $0.contains("call   copepod_calanoid · rare-class view") })
        #expect(
            lines[first + 1].contains("model   52 % diatom_chain")
                && lines[first + 2].contains(" 30 % copepod_calanoid"))
        #expect(lines[first + 4].contains("expected in this sample"))
        #expect(lines[first + 5].contains("why    close call: copepod_calanoid"))
        // The call's row of the percentages is the bold one.
        let row = first + 2, text = lines[row]
        let column = text.distance(from: text.startIndex, to: try #require(text.range(of: " 30 %")).lowerBound)
        #expect(screen[column + 1, row].attributes.contains(.bold))
        try check("label-call-80x24.txt", screen.text)
        try check("label-call-80x24.roles.txt", Self.roles(screen))
    }

    @Test func helpOverlayAndPicker() throws {
        var state = Self.fixture()
        state.mode = .help
        let blitter = HalfBlockBlitter(depth: .palette256)
        try check("label-help-80x24.txt", LabelScreen(blitter: blitter).render(state, width: 80, height: 24).text)
        state.mode = .picker("cop")
        try check("label-picker-80x24.txt", LabelScreen(blitter: blitter).render(state, width: 80, height: 24).text)
    }

    /// The fixture on the Grid (a page of 30 predictions, two selected, the cursor on the 4th), on Classes
    /// and on Jobs.
    static func reviewFixture(_ kind: ScreenKind, width: Int, height: Int) -> LabelingState {
        var state = fixture()
        state.screen = kind
        state.message = ""
        state.jobLine = "train 40 % · cross-validating"
        let names = state.classNames
        state.grid.source = .predicted("copepod_calanoid")
        state.grid.items = (1...30).map { ImageID($0) }
        let layout = LabelScreen.gridLayout(width: width, height: height)
        state.grid.columns = layout.columns
        state.grid.rows = layout.rows
        state.grid.selected = [0, 1]
        state.grid.move(to: 3)
        for i in 1...30 {
            let id = ImageID(Int64(i))
            state.grid.tiles[id] = GridTile(
                imageID: id, path: "img\(i).png", thumbnail: disc(32, radius: 3 + i % 12, dark: i % 2 == 0),
                label: i == 3 ? "copepod_other" : nil, status: i == 3 ? .validated : nil,
                predicted: "copepod_calanoid", probability: 0.99 - Double(i) * 0.03)
        }
        state.classes.rows = names.enumerated().map { i, name in
            ClassRowView(
                name: name, validated: 20 + i, dubious: i % 3, predicted: 100 * i,
                precision: i == 0 ? nil : 0.5 + Double(i) / 20,
                recall: i == 0 ? nil : 0.9 - Double(i) / 20)
        }
        state.classes.cursor = 2
        state.jobs.jobs = [
            JobView(id: 3, kind: "train", state: "running", progress: 0.4, message: "cross-validating", error: nil),
            JobView(
                id: 2, kind: "train", state: "failed", progress: 0.8, message: "failed",
                error: "interrupted: its process (vm:12) ended before it finished"),
            JobView(
                id: 1, kind: "train", state: "done", progress: 1, message: "model clf-0a1b2c: 230 labels", error: nil)
        ]
        return state
    }

    @Test(arguments: [ScreenKind.grid, .classes, .jobs], [(80, 24), (120, 40), (40, 12)])
    func reviewScreens(kind: ScreenKind, size: (Int, Int)) throws {
        let (width, height) = size
        let screen = LabelScreen(blitter: HalfBlockBlitter(depth: .palette256))
            .render(Self.reviewFixture(kind, width: width, height: height), width: width, height: height)
        try check("\(kind.rawValue)-\(width)x\(height).txt", screen.text)
        try check("\(kind.rawValue)-\(width)x\(height).roles.txt", Self.roles(screen))
    }

    @Test func commandLineAndClassPickerPrompts() throws {
        var state = Self.reviewFixture(.classes, width: 80, height: 24)
        state.mode = .command("queue entr")
        let blitter = HalfBlockBlitter(depth: .palette256)
        try check("classes-command-80x24.txt", LabelScreen(blitter: blitter).render(state, width: 80, height: 24).text)
        state.mode = .picker("cop")
        state.pickerPurpose = .mergeInto("copepod_other")
        try check("classes-merge-80x24.txt", LabelScreen(blitter: blitter).render(state, width: 80, height: 24).text)
    }

    @Test func hostileNamesAreShownSanitised() {
        var state = Self.fixture()
        state.current!.path = "evil\u{1B}[2J\u{1B}]0;x\u{07}.png"
        state.current!.guesses[0].name = "cope\u{1B}[31mpod"
        let screen = LabelScreen(blitter: HalfBlockBlitter(depth: .palette256)).render(state, width: 120, height: 40)
        #expect(
            screen.cells.allSatisfy { cell in
                cell.character.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }
            })
        #expect(screen.text.contains("evil␛[2J␛]0;x␇.png"))
        #expect(screen.text.contains("cope␛[31mpod"))
    }

    @Test("a golden mismatch shows the first differing lines, how many more there are, and the line counts")
    func mismatchReport() throws {
        #expect(GoldenFiles.difference(expected: "a\nb\n", actual: "a\nb\n") == nil)
        let report = try #require(GoldenFiles.difference(expected: "a\nb\nc\n", actual: "a\nB\nc\nd\n"))
        #expect(report.hasPrefix("line 2:\n  expected: b\n  actual:   B\nline 4:\n"), "\(report)")
        #expect(!report.contains("line 1:") && !report.contains("line 3:") && report.hasSuffix("5 lines, expected 4"))
        let many = (0..<12).map { "\($0)" }.joined(separator: "\n")
        let shifted = (1...12).map { "\($0)" }.joined(separator: "\n")
        let long = try #require(GoldenFiles.difference(expected: many, actual: shifted))
        #expect(long.contains("line 5:") && !long.contains("line 6:") && long.hasSuffix("… and 7 more differing lines"))
    }
}
