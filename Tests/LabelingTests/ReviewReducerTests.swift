import PlanktermCore
import Testing

@testable import Labeling

/// Key scripts for the Grid, Classes and Jobs screens and the command line.
@Suite struct ReviewReducerTests {
    /// A Grid of 10 images in 4 columns × 2 rows; image 3 has no prediction, image 5 is labelled.
    static func gridState() -> LabelingState {
        var s = LabelingReducerTests.state()
        s.screen = .grid
        s.grid.items = (1...10).map { ImageID($0) }
        s.grid.columns = 4
        s.grid.rows = 2
        for id in 1...10 {
            s.grid.tiles[ImageID(Int64(id))] = GridTile(
                imageID: ImageID(Int64(id)), path: "img\(id).png", thumbnail: nil, label: id == 5 ? "diatom" : nil,
                status: id == 5 ? .validated : nil, predicted: id == 3 ? nil : (id % 2 == 0 ? "copepod" : "detritus"),
                probability: id == 3 ? nil : 0.9 - Double(id) / 100)
        }
        return s
    }

    @Test func tabCyclesTheScreensAndEveryScreenKeepsUndoAndQuit() {
        var s = Self.gridState()
        #expect(LabelingReducer.reduce(&s, .tab) == [.switchScreen(.classes)])
        s.screen = .jobs
        #expect(LabelingReducer.reduce(&s, .tab) == [.switchScreen(.label)])
        #expect(LabelingReducer.reduce(&s, .character("u")) == [.undo])
        #expect(LabelingReducer.reduce(&s, .control("r")) == [.redo])
        #expect(LabelingReducer.reduce(&s, .character("q")) == [.quit])
    }

    @Test func gridMovesByCellRowAndPageAndScrolls() {
        var s = Self.gridState()
        _ = LabelingReducer.reduce(&s, .character("l"))
        #expect(s.grid.cursor == 1)
        _ = LabelingReducer.reduce(&s, .character("j"))
        #expect(s.grid.cursor == 5 && s.grid.top == 0)
        _ = LabelingReducer.reduce(&s, .character("j"))  // row 3: scrolls one row
        #expect(s.grid.cursor == 9 && s.grid.top == 4)
        _ = LabelingReducer.reduce(&s, .character("G"))
        #expect(s.grid.cursor == 9)
        _ = LabelingReducer.reduce(&s, .character("g"))
        #expect(s.grid.cursor == 0 && s.grid.top == 0)
        _ = LabelingReducer.reduce(&s, .character("k"))
        #expect(s.grid.cursor == 0)
        _ = LabelingReducer.reduce(&s, .character("n"))
        #expect(s.grid.cursor == 8 && s.grid.visible.contains(8))
    }

    @Test func gridValidatesTheSelectionEachWithItsOwnPredictionAsOneEffect() {
        var s = Self.gridState()
        // Space selects and moves on: images 1, 2, 3 selected; V extends from 3 to 5.
        for _ in 0..<3 { _ = LabelingReducer.reduce(&s, .character(" ")) }
        #expect(s.grid.selected == [0, 1, 2] && s.grid.cursor == 3)
        _ = LabelingReducer.reduce(&s, .character("l"))
        _ = LabelingReducer.reduce(&s, .character("V"))
        #expect(s.grid.selected == [0, 1, 2, 3, 4])
        let effects = LabelingReducer.reduce(&s, .character("a"))
        // Image 3 has no prediction and is left out (and said so); image 5 keeps its expert label.
        #expect(
            effects == [
                .labelEach(
                    [
                        LabelChange(ImageID(1), "detritus"), LabelChange(ImageID(2), "copepod"),
                        LabelChange(ImageID(4), "copepod"), LabelChange(ImageID(5), "diatom")
                    ],
                    status: .validated)
            ])
        #expect(s.message.contains("1 without a prediction"))
        #expect(s.grid.selected.isEmpty)
        // Nothing selected: the tile under the cursor; d marks it dubious.
        #expect(
            LabelingReducer.reduce(&s, .character("d")) == [
                .labelEach([LabelChange(ImageID(5), "diatom")], status: .dubious)
            ])
    }

    @Test func gridRelabelsThroughThePickerAndSelectsAPage() {
        var s = Self.gridState()
        _ = LabelingReducer.reduce(&s, .character("*"))
        #expect(s.grid.selected == Set(0..<8))
        _ = LabelingReducer.reduce(&s, .character("*"))
        #expect(s.grid.selected.isEmpty)
        _ = LabelingReducer.reduce(&s, .character(" "))
        _ = LabelingReducer.reduce(&s, .character(" "))
        #expect(LabelingReducer.reduce(&s, .character("t")) == [.redraw])
        #expect(s.pickerPurpose == .relabelSelected)
        for c in "diat" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .labelEach(
                    [LabelChange(ImageID(1), "diatom"), LabelChange(ImageID(2), "diatom")],
                    status: .validated)
            ])
        #expect(s.mode == .normal && s.pickerPurpose == .labelCurrent)
        // f shows one predicted class; an unknown class is refused.
        _ = LabelingReducer.reduce(&s, .character("f"))
        for c in "cope" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(LabelingReducer.reduce(&s, .enter) == [.loadGrid(.predicted("copepod"))])
        _ = LabelingReducer.reduce(&s, .character("f"))
        for c in "zzz" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(LabelingReducer.reduce(&s, .enter) == [.redraw])
        #expect(s.message == "no class zzz")
        #expect(LabelingReducer.reduce(&s, .character("o")) == [.open(ImageID(3))])  // Space moved the cursor on twice
    }

    @Test func classesRenameMergeAddAndOpenTheGrid() {
        var s = Self.gridState()
        s.screen = .classes
        s.classes.rows = ["copepod", "detritus", "diatom"].map {
            ClassRowView(name: $0, validated: 1, dubious: 0, predicted: 2, precision: nil, recall: nil)
        }
        _ = LabelingReducer.reduce(&s, .character("j"))
        #expect(LabelingReducer.reduce(&s, .enter) == [.loadGrid(.predicted("detritus"))])
        #expect(LabelingReducer.reduce(&s, .character("v")) == [.loadGrid(.labelled("detritus"))])
        _ = LabelingReducer.reduce(&s, .character("r"))
        // A rename takes the text as typed, even where it matches another class.
        for c in "diat" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(LabelingReducer.reduce(&s, .enter) == [.renameClass("detritus", to: "diat")])
        _ = LabelingReducer.reduce(&s, .character("m"))
        for c in "diat" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(LabelingReducer.reduce(&s, .enter) == [.mergeClass("detritus", into: "diatom")])
        _ = LabelingReducer.reduce(&s, .character("+"))
        for c in "nauplius" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(LabelingReducer.reduce(&s, .enter) == [.addClass("nauplius")])
        _ = LabelingReducer.reduce(&s, .character("G"))
        #expect(s.classes.cursor == 2)
    }

    @Test func jobsCancelAndRetryTheJobUnderTheCursor() {
        var s = Self.gridState()
        s.screen = .jobs
        #expect(LabelingReducer.reduce(&s, .character("c")) == [])
        s.jobs.jobs = [
            JobView(id: 7, kind: "train", state: "running", progress: 0.5, message: "", error: nil),
            JobView(id: 6, kind: "train", state: "failed", progress: 0.2, message: "", error: "x")
        ]
        #expect(LabelingReducer.reduce(&s, .character("c")) == [.cancelJob(7)])
        _ = LabelingReducer.reduce(&s, .character("j"))
        #expect(LabelingReducer.reduce(&s, .character("r")) == [.retryJob(6)])
    }

    @Test func theCommandLineCollectsTextAndRunsItOnEnter() {
        var s = Self.gridState()
        #expect(LabelingReducer.reduce(&s, .character(":")) == [.redraw])
        for c in "queue  entropy " { _ = LabelingReducer.reduce(&s, .character(c)) }
        _ = LabelingReducer.reduce(&s, .backspace)
        #expect(s.mode == .command("queue  entropy"))
        // Keys that mean something elsewhere are text here.
        #expect(LabelingReducer.reduce(&s, .character("q")) == [.redraw])
        _ = LabelingReducer.reduce(&s, .backspace)
        #expect(LabelingReducer.reduce(&s, .enter) == [.command("queue  entropy")])
        #expect(s.mode == .normal)
        _ = LabelingReducer.reduce(&s, .character(":"))
        #expect(LabelingReducer.reduce(&s, .backspace) == [.redraw])
        #expect(s.mode == .normal)
        _ = LabelingReducer.reduce(&s, .character(":"))
        #expect(LabelingReducer.reduce(&s, .escape) == [.redraw])
        #expect(s.mode == .normal)
    }
}
