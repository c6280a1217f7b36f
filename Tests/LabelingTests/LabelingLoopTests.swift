import Foundation
import PlanktermCore
import TUI
import Testing

@testable import Labeling

/// The labeling screen's loop in-process, as a person would use it: scripted keys, quiet spells and
/// window sizes in; the frames drawn, the environment's calls and what the session did out.
@Suite struct LabelingLoopTests {
    static func loop(
        _ world: RecordingWorld, _ terminal: RecordingTerminal, every: Int = 50, idle: TimeInterval = 120,
        runsJobs: Bool = false, jobs: JobLink = .none
    ) -> LabelingLoop<RecordingTerminal> {
        var state = LabelingReducerTests.state()
        state.items = world.queue.items
        let runtime = LabelingRuntime(
            state: state, trigger: TrainingTrigger(every: every, idle: idle, clock: terminal.clock),
            environment: world.environment(runsJobs: runsJobs))
        let view = LabelScreen(blitter: HalfBlockBlitter(depth: .palette256)).labelingView
        return LabelingLoop(runtime: runtime, terminal: terminal, view: view, jobs: jobs, clock: terminal.clock)
    }

    /// Runs a script to its end (or to a quit); the loop, its outcome and every frame's text.
    static func run(
        _ world: RecordingWorld, _ script: [RecordingTerminal.Step], width: Int = 100, height: Int = 30,
        every: Int = 50, idle: TimeInterval = 120, jobs: JobLink = .none
    ) -> (LabelingLoop<RecordingTerminal>, LabelingLoop<RecordingTerminal>.Outcome, [String]) {
        let terminal = RecordingTerminal(script, width: width, height: height, clock: FakeClock())
        var loop = Self.loop(world, terminal, every: every, idle: idle, jobs: jobs)
        let outcome = loop.run()
        return (loop, outcome, terminal.frames.map(\.text))
    }

    @Test("keys label images, u undoes, q quits: each label is written as its key is read, and shown")
    func labelUndoQuit() {
        let world = RecordingWorld()
        world.undone = [ImageID(5)]
        let script: [RecordingTerminal.Step] =
            [.key(.character("a")), .key(.character("1")), .key(.character("d")), .key(.character("t"))]
            + RecordingTerminal.typing("diat") + [.key(.enter), .key(.character("u")), .key(.character("q"))]
        let (loop, outcome, frames) = Self.run(world, script)
        #expect(
            world.calls == [
                "label 1 copepod validated", "label 2 diatom validated", "label 3 copepod dubious",
                "label 4 diatom validated", "undo", "train default: labels given before quitting"
            ])
        #expect(frames.first?.contains("labelled this session: 0") == true)
        #expect(frames.contains { $0.contains("labelled this session: 3") && $0.contains("dubious copepod") })
        #expect(frames.contains { $0.contains("class: diat") })
        #expect(frames.dropLast().last?.contains("undone") == true, "the frame before q's")
        #expect(loop.runtime.state.current?.imageID == ImageID(5), "undo shows the image it changed")
        #expect(outcome == .init(labelled: 4, queuedJob: 7), "training on the labels is left queued")
        #expect(frames.count == script.count + 1, "one frame at the start and one after each key")
    }

    @Test("a window too small takes no key but q and a redraw; grown again, the screen is back")
    func windowTooSmall() {
        let world = RecordingWorld()
        let script: [RecordingTerminal.Step] = [
            .key(.character("a")), .key(.character("d")), .key(.control("l")), .key(.enter),
            .resize(width: 100, height: 30), .key(.character("q"))
        ]
        let terminal = RecordingTerminal(script, width: 20, height: 5, clock: FakeClock())
        var loop = Self.loop(world, terminal)
        let outcome = loop.run()
        #expect(world.calls.isEmpty, "no label was given: \(world.calls)")
        #expect(outcome == .init(labelled: 0, queuedJob: nil))
        let frames = terminal.frames.map(\.text)
        #expect(frames.count == 4, "drawn at the start, for Ctrl-L, for the resize and for q: \(frames.count)")
        #expect(frames[0].contains("window too small") && frames[1].contains("window too small"))
        #expect(frames[2].contains("labelled this session: 0") && !frames[2].contains("window too small"))
        #expect(terminal.invalidations == 2)

        let quitting = RecordingTerminal(
            [.key(.character("q")), .key(.enter)], width: 20, height: 5, clock: FakeClock())
        var small = Self.loop(world, quitting)
        _ = small.run()
        #expect(quitting.script.count == 1, "q left the too-small screen before the next key")
    }

    @Test("resizing to 40×12, below it and back redraws the whole screen at each size")
    func resize() {
        let world = RecordingWorld()
        let script: [RecordingTerminal.Step] = [
            .resize(width: 40, height: 12), .resize(width: 30, height: 8), .resize(width: 120, height: 40),
            .key(.character("q"))
        ]
        let terminal = RecordingTerminal(script, width: 120, height: 40, clock: FakeClock())
        var loop = Self.loop(world, terminal)
        _ = loop.run()
        let sizes = terminal.frames.map { "\($0.width)x\($0.height)" }
        #expect(sizes == ["120x40", "40x12", "30x8", "120x40", "120x40"])
        let frames = terminal.frames.map(\.text)
        #expect(frames[1].contains("labelled this session") && !frames[1].contains("window too small"))
        #expect(frames[2].contains("window too small"))
        #expect(frames[3].contains("Grid Classes Jobs") && !frames[3].contains("window too small"))
        #expect(terminal.invalidations == 3, "each size is drawn whole")
    }

    @Test("a paste is text: in the picker it is typed, ESC and all dropped; elsewhere it only says so")
    func pasteIsText() {
        let world = RecordingWorld()
        let script: [RecordingTerminal.Step] = [
            .key(.character("t")), .key(.paste("cope\u{1B}pod")), .key(.enter), .key(.paste("aaaa")),
            .key(.character("q"))
        ]
        let (_, outcome, frames) = Self.run(world, script)
        #expect(frames[2].contains("class: copepod"))
        #expect(frames[4].contains("pasted text is taken only by"))
        #expect(world.calls.prefix(1) == ["label 1 copepod validated"])
        #expect(outcome.labelled == 1, "the pasted a's accepted nothing")
    }

    @Test("`:` commands queue their jobs and say so on the status line")
    func colonCommandsQueueJobs() {
        let world = RecordingWorld()
        let script: [RecordingTerminal.Step] =
            [.key(.character(":"))] + RecordingTerminal.typing("pretrain 2") + [.key(.enter)]
            + [.key(.character(":"))] + RecordingTerminal.typing("embed") + [.key(.enter), .key(.character("q"))]
        let (_, _, frames) = Self.run(world, script)
        #expect(world.calls == ["pretrain 2", "embed"])
        #expect(frames.contains { $0.contains("SimCLR pretraining for 2 epochs queued (job 7)") })
        #expect(frames.dropLast().last?.contains("embedding new images queued (job 8)") == true)
    }

    @Test("a new model is picked up by the poll: the image on screen stays, the new queue follows it")
    func newModelIsPickedUp() {
        let world = RecordingWorld()
        world.latestModel = "clf-2"
        world.reloadedItems = [ImageID(5), ImageID(4), ImageID(3), ImageID(2), ImageID(1)]
        world.changeSummaries["clf-2"] = "7 predictions changed"
        let script: [RecordingTerminal.Step] = [
            .key(.character("n")), .quiet(seconds: 0.5), .quiet(seconds: 0.5)
        ]
        let (loop, _, frames) = Self.run(world, script)
        #expect(world.calls == ["reload -"], "polled once a second, and reloaded once")
        let state = loop.runtime.state
        #expect(state.modelId == "clf-2")
        #expect(state.items == [ImageID(2), ImageID(5), ImageID(4), ImageID(3), ImageID(1)])
        #expect(state.index == 0 && state.current?.imageID == ImageID(2))
        #expect(state.message == "new model clf-2: 7 predictions changed · R reviews the changed")
        #expect(frames.last?.contains("new model clf-2") == true)
    }

    @Test("labels given, then no key for train_idle seconds: training is queued, once, and shown")
    func idleTrigger() {
        let world = RecordingWorld()
        let script: [RecordingTerminal.Step] = [
            .key(.enter), .quiet(seconds: 60), .quiet(seconds: 59), .quiet(seconds: 1), .quiet(seconds: 200)
        ]
        let (_, outcome, frames) = Self.run(world, script, idle: 120)
        #expect(world.calls == ["label 1 copepod validated", "train default: idle for 120 s"])
        #expect(frames.last?.contains("training queued (job 7, idle for 120 s)") == true)
        #expect(outcome.queuedJob == nil, "nothing new to train on when leaving")
    }

    @Test("the job thread's line is shown when it changes; leaving stops the thread and keeps its job queued")
    func jobLineAndStop() {
        let world = RecordingWorld()
        var line = ""
        var stopped = false
        let jobs = JobLink(
            line: { line },
            stop: {
                stopped = true
                return .interrupted(requeuedAs: 42)
            })
        let terminal = RecordingTerminal([.key(.enter), .quiet(seconds: 0.1)], clock: FakeClock())
        var loop = Self.loop(world, terminal, jobs: jobs)
        line = "job 3 train: fitting 40%"
        let outcome = loop.run()
        #expect(terminal.screen.contains("job 3 train: fitting 40%"))
        #expect(stopped && outcome == .init(labelled: 1, queuedJob: 42))
        #expect(!world.calls.contains { $0.hasPrefix("train") }, "the interrupted job is the one left queued")
    }

    @Test("Ctrl-C leaves at once; a stop signal ends the loop too")
    func controlCLeaves() {
        let world = RecordingWorld()
        let (_, outcome, frames) = Self.run(world, [.key(.control("c")), .key(.enter)])
        #expect(outcome.labelled == 0 && frames.count == 1)
        let (_, stopped, _) = Self.run(world, [.key(.enter)])
        #expect(stopped.labelled == 1, "the script's end is a SIGTERM")
    }

    @Test("Tab to the Grid loads its images and the tiles in view; pixel graphics load the main picture")
    func gridAndPicture() {
        let world = RecordingWorld()
        let terminal = RecordingTerminal([.key(.tab)], clock: FakeClock())
        terminal.drawsPixels = true
        var loop = Self.loop(world, terminal)
        _ = loop.run()
        #expect(world.calls.first == "picture 1", "the image on the Label screen, at its own resolution")
        #expect(world.calls.contains("gridItems queue"))
        let grid = loop.runtime.state.grid
        let layout = LabelScreen.gridLayout(width: 100, height: 30)
        #expect(grid.columns == layout.columns && grid.rows == layout.rows)
        #expect(grid.tiles.count == min(world.gridImages.count, layout.columns * layout.rows))
        #expect(terminal.screen.contains("queue · 1–"))
    }
}
