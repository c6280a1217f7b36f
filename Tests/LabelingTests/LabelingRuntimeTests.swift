import Foundation
import PlanktermCore
import Testing

@testable import Labeling

/// The labeling screen in-process: keys in, the environment's calls and the state out, time from a fake clock.
@Suite struct LabelingRuntimeTests {
    static func runtime(
        _ world: RecordingWorld, every: Int = 50, idle: TimeInterval = 120,
        clock: FakeClock = FakeClock(), runsJobs: Bool = false
    ) -> LabelingRuntime {
        LabelingRuntime(
            state: LabelingReducerTests.state(),
            trigger: TrainingTrigger(every: every, idle: idle, clock: clock),
            environment: world.environment(runsJobs: runsJobs))
    }

    @Test("a neighbour's key labels the image through the environment and moves to the next one")
    func labelKeyLabelsAndAdvances() {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        #expect(runtime.send(.character("1")) == [])
        #expect(world.calls == ["label 1 diatom validated"])
        #expect(runtime.state.labelled == 1)
        #expect(runtime.state.index == 1)
        #expect(runtime.state.current?.imageID == ImageID(2))
        #expect(runtime.state.message == "labelled diatom: img1.png")
    }

    @Test("a label the environment refuses is reported and not counted")
    func refusedLabel() {
        let world = RecordingWorld()
        world.labelError = RecordingWorld.Refused()
        var runtime = Self.runtime(world)
        _ = runtime.send(.enter)
        #expect(runtime.state.labelled == 0)
        #expect(runtime.state.current?.imageID == ImageID(1))
        #expect(runtime.state.message == "not done: the database is read-only")
    }

    @Test("undo shows the image it changed, at its queue position")
    func undoShowsTheChangedImage() {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        _ = runtime.send(.enter)
        world.undone = [ImageID(1)]
        _ = runtime.send(.character("u"))
        #expect(world.calls == ["label 1 copepod validated", "undo"])
        #expect(runtime.state.index == 0)
        #expect(runtime.state.current?.imageID == ImageID(1))
        #expect(runtime.state.message == "undone")
        world.undone = []
        _ = runtime.send(.character("u"))
        #expect(runtime.state.message == "nothing to undo")
    }

    @Test(":train mlp typed on the command line queues training with the mlp head and says so")
    func trainCommandQueuesTheHead() throws {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        var others: [Effect] = []
        for key in [Key.character(":")] + "train mlp".map(Key.character) + [.enter] {
            others += runtime.send(key)
        }
        #expect(others.allSatisfy { $0 == .redraw }, "the command ran in the runtime: \(others)")
        #expect(world.calls == ["train mlp: asked for"])
        #expect(runtime.state.message == "training queued (job 7, asked for) — run `plankterm worker` to run it")
        #expect(runtime.state.mode == .normal)
    }

    @Test("the train-every trigger queues training after N validated labels, not dubious ones")
    func trainEveryFires() {
        let world = RecordingWorld()
        var runtime = Self.runtime(world, every: 2, runsJobs: true)
        _ = runtime.send(.character("d"))
        _ = runtime.send(.enter)
        #expect(!world.calls.contains { $0.hasPrefix("train") }, "a dubious label does not count")
        _ = runtime.send(.enter)
        #expect(world.calls.last == "train default: 2 new labels")
        #expect(runtime.state.message == "training queued (job 7, 2 new labels)")
    }

    @Test("the idle trigger queues training once the idle time has passed after a label")
    func idleTriggerFires() {
        let world = RecordingWorld()
        let clock = FakeClock()
        var runtime = Self.runtime(world, idle: 120, clock: clock)
        _ = runtime.send(.enter)
        runtime.trigger.keyPressed()
        clock.advance(60)
        let early = runtime.noKey()
        #expect(!early)
        clock.advance(60)
        let fired = runtime.noKey()
        #expect(fired)
        #expect(world.calls.last == "train default: idle for 120 s")
        let again = runtime.noKey()
        #expect(!again, "once: the labels are counted as trained on")
    }
}
