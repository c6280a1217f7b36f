import PlanktermCore
import Testing

@testable import Labeling

/// Key scripts against the reducer: the state it leaves and the effects it asks for.
@Suite struct LabelingReducerTests {
    static func item(
        _ id: Int64, label: String? = nil, guesses: [String] = ["copepod"],
        neighbors: [String?] = ["diatom", nil, "copepod"]
    ) -> ItemView {
        ItemView(
            imageID: ImageID(id), path: "img\(id).png", width: 50, height: 40, thumbnail: nil, label: label,
            status: label == nil ? nil : .validated, guesses: guesses.map { Guess(name: $0, probability: 0.5) },
            reason: "close call",
            neighbors: neighbors.enumerated().map { i, name in
                NeighborView(
                    imageID: ImageID(100 + Int64(i)), path: "n\(i).png", thumbnail: nil, label: name,
                    status: name == nil ? nil : .validated, predicted: name == nil ? "nauplius" : nil,
                    similarity: 0.9)
            })
    }

    static func state() -> LabelingState {
        var s = LabelingState(
            project: "/p", queueName: "margin", items: (1...5).map { ImageID($0) },
            classNames: ["copepod", "copepod_calanoid", "diatom", "detritus"], modelId: "clf-1")
        s.current = item(1)
        return s
    }

    @Test("Enter and d take the model's call (rare-class view) where it is not the most probable class in this sample")
    func acceptTakesTheCall() {
        var s = Self.state()
        var current = Self.item(1, guesses: ["detritus", "copepod"])
        current.call = "copepod"
        s.current = current
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .label(ImageID(1), className: "copepod", status: .validated, thenIndex: 1)
            ])
        #expect(
            LabelingReducer.reduce(&s, .character("d")) == [
                .label(ImageID(1), className: "copepod", status: .dubious, thenIndex: 1)
            ])
        // Without a call (nothing stored yet), the first guess as before.
        s.current = Self.item(1, guesses: ["detritus", "copepod"])
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .label(ImageID(1), className: "detritus", status: .validated, thenIndex: 1)
            ])
    }

    @Test func acceptNeighbourDubiousAndSkipGiveTheRightWrites() {
        var s = Self.state()
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .label(ImageID(1), className: "copepod", status: .validated, thenIndex: 1)
            ])
        #expect(
            LabelingReducer.reduce(&s, .character("a")) == [
                .label(ImageID(1), className: "copepod", status: .validated, thenIndex: 1)
            ])
        #expect(
            LabelingReducer.reduce(&s, .character("1")) == [
                .label(ImageID(1), className: "diatom", status: .validated, thenIndex: 1)
            ])
        // Neighbour 2 has no label: its prediction is offered.
        #expect(
            LabelingReducer.reduce(&s, .character("2")) == [
                .label(ImageID(1), className: "nauplius", status: .validated, thenIndex: 1)
            ])
        #expect(LabelingReducer.reduce(&s, .character("7")) == [])
        #expect(s.message.contains("neighbour 7"))
        #expect(
            LabelingReducer.reduce(&s, .character("d")) == [
                .label(ImageID(1), className: "copepod", status: .dubious, thenIndex: 1)
            ])
        #expect(LabelingReducer.reduce(&s, .character("x")) == [.show(1)])
        #expect(LabelingReducer.reduce(&s, .character("u")) == [.undo])
        #expect(LabelingReducer.reduce(&s, .control("r")) == [.redo])
    }

    @Test func movingStopsAtTheEndsOfTheQueue() {
        var s = Self.state()
        #expect(LabelingReducer.reduce(&s, .character("N")) == [])
        #expect(s.message == "start of the queue")
        #expect(LabelingReducer.reduce(&s, .character("n")) == [.show(1)])
        s.index = 4
        #expect(LabelingReducer.reduce(&s, .down) == [])
        #expect(LabelingReducer.reduce(&s, .character("g")) == [.show(0)])
        // The last item: labelling it stays on it.
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .label(ImageID(1), className: "copepod", status: .validated, thenIndex: 4)
            ])
    }

    @Test func typeAheadPickerMatchesPrefixThenSubstringThenFuzzy() {
        var s = Self.state()
        #expect(LabelingReducer.reduce(&s, .character("t")) == [.redraw])
        for c in "cal" { _ = LabelingReducer.reduce(&s, .character(c)) }
        #expect(s.mode == .picker("cal"))
        #expect(s.matches("cal") == ["copepod_calanoid"])
        #expect(s.matches("cop") == ["copepod", "copepod_calanoid"])
        #expect(s.matches("dtm") == ["diatom"])  // letters in order
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .label(ImageID(1), className: "copepod_calanoid", status: .validated, thenIndex: 1)
            ])
        #expect(s.mode == .normal)
        // Escape cancels; an unknown name becomes a new class.
        _ = LabelingReducer.reduce(&s, .character("/"))
        _ = LabelingReducer.reduce(&s, .character("z"))
        #expect(LabelingReducer.reduce(&s, .escape) == [.redraw] && s.mode == .normal)
        _ = LabelingReducer.reduce(&s, .character("t"))
        for c in "Oithona" { _ = LabelingReducer.reduce(&s, .character(c)) }
        _ = LabelingReducer.reduce(&s, .backspace)
        #expect(
            LabelingReducer.reduce(&s, .enter) == [
                .label(ImageID(1), className: "Oithon", status: .validated, thenIndex: 1)
            ])
    }

    @Test func bulkAssignmentSelectsNeighboursAndGivesThemTheCurrentLabel() {
        var s = Self.state()
        #expect(LabelingReducer.reduce(&s, .character("A")) == [])
        #expect(s.message.contains("select neighbours first"))
        _ = LabelingReducer.reduce(&s, .character(" "))  // neighbour 1
        _ = LabelingReducer.reduce(&s, .character("l"))
        _ = LabelingReducer.reduce(&s, .character("l"))  // cursor on neighbour 3
        _ = LabelingReducer.reduce(&s, .character("V"))  // 1...3
        #expect(s.selected == [0, 1, 2])
        _ = LabelingReducer.reduce(&s, .character("l"))  // stays on the last neighbour
        #expect(s.neighborCursor == 2)
        _ = LabelingReducer.reduce(&s, .character(" "))  // unselect 3
        #expect(s.selected == [0, 1])
        #expect(
            LabelingReducer.reduce(&s, .character("A"))
                == [.labelMany([ImageID(100), ImageID(101)], className: "copepod", status: .validated)])
        #expect(s.selected.isEmpty)
        // With an expert label on the current image, that label is given.
        s.current = Self.item(1, label: "diatom")
        s.neighborCursor = 0  // the shell resets the cursor when it shows another image
        _ = LabelingReducer.reduce(&s, .character(" "))
        #expect(
            LabelingReducer.reduce(&s, .character("A")) == [
                .labelMany([ImageID(100)], className: "diatom", status: .validated)
            ])
    }

    @Test func withoutAPredictionAcceptExplainsWhatToDo() {
        var s = Self.state()
        s.current = Self.item(1, guesses: [])
        #expect(LabelingReducer.reduce(&s, .enter) == [])
        #expect(s.message.contains("press t"))
        #expect(LabelingReducer.reduce(&s, .character("q")) == [.quit] && s.quit)
    }
}

@Suite struct ZoomAndSizeTrueTests {
    @Test("+ and - step through the zoom levels; arrows pan only while zoomed; a new image is fitted again")
    func zoomKeys() {
        var s = LabelingReducerTests.state()
        #expect(LabelingReducer.reduce(&s, .down) == [.show(1)])
        s.index = 0
        _ = LabelingReducer.reduce(&s, .character("+"))
        _ = LabelingReducer.reduce(&s, .character("+"))
        #expect(s.zoom == 2)
        #expect(LabelingReducer.reduce(&s, .right) == [.redraw])
        #expect(s.panX > 0.5 && s.neighborCursor == 0)
        for _ in 0..<20 { _ = LabelingReducer.reduce(&s, .right) }
        #expect(s.panX == 0.75)  // the box stays filled: the centre goes no further than 1 - 1/(2·zoom)
        _ = LabelingReducer.reduce(&s, .up)
        #expect(s.panY < 0.5)
        #expect(LabelingReducer.reduce(&s, .character("l")) == [.redraw] && s.neighborCursor == 1)
        for _ in 0..<10 { _ = LabelingReducer.reduce(&s, .character("+")) }
        #expect(s.zoom == LabelingState.zoomLevels.last)
        for _ in 0..<10 { _ = LabelingReducer.reduce(&s, .character("-")) }
        #expect(s.zoom == 1 && s.panX == 0.5 && s.panY == 0.5)
        #expect(LabelingReducer.reduce(&s, .right) == [.redraw] && s.neighborCursor == 2)
    }

    @Test("z switches size-true thumbnails on the Label screen and the Grid")
    func sizeTrueKey() {
        var s = LabelingReducerTests.state()
        _ = LabelingReducer.reduce(&s, .character("z"))
        #expect(s.sizeTrue && s.message.contains("size-true"))
        s.screen = .grid
        _ = LabelingReducer.reduce(&s, .character("z"))
        #expect(!s.sizeTrue)
    }
}
