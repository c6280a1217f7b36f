import Foundation
import PlanktermCore
import Testing

@testable import Labeling

/// What the runtime asked of the world, in order.
final class RecordingWorld {
    var calls: [String] = []
    var undone: [ImageID] = []
    var labelError: (any Error)?
    var nextJob: Int64 = 7

    struct Refused: Error, CustomStringConvertible {
        var description: String { "the database is read-only" }
    }

    func environment(runsJobs: Bool = false) -> LabelingRuntime.Environment {
        LabelingRuntime.Environment(
            label: { id, name, status in
                if let error = self.labelError { throw error }
                self.calls.append("label \(id.rawValue) \(name ?? "-") \(status.rawValue)")
            },
            labelMany: { ids, name, status in self.calls.append("labelMany \(ids.count) \(name) \(status.rawValue)") },
            labelEach: { changes, status in self.calls.append("labelEach \(changes.count) \(status.rawValue)") },
            undo: {
                self.calls.append("undo"); return self.undone
            },
            redo: {
                self.calls.append("redo"); return []
            },
            itemAt: { i in i < 5 ? LabelingReducerTests.item(Int64(i + 1)) : nil },
            item: { LabelingReducerTests.item($0.rawValue) },
            tile: { _ in nil },
            classNames: { ["copepod", "copepod_calanoid", "diatom", "detritus"] },
            enqueueTraining: { reason, head in
                self.calls.append("train \(head ?? "default"): \(reason)")
                self.nextJob += 1
                return self.nextJob - 1
            },
            cancelJob: {
                self.calls.append("cancel \($0)"); return true
            },
            retryJob: {
                self.calls.append("retry \($0)"); return nil
            },
            jobs: { [] },
            runsJobs: runsJobs)
    }
}

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

    @Test(":train mlp comes back as a command that parses to the mlp head, and queues training with it")
    func trainCommandQueuesTheHead() throws {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        var others: [Effect] = []
        for key in [Key.character(":")] + "train mlp".map(Key.character) + [.enter] {
            others += runtime.send(key)
        }
        #expect(others.filter { $0 != .redraw } == [.command("train mlp")])
        let vocabulary = ColonCommand.Vocabulary(heads: ["knn", "linear", "mlp"], queues: [], exportFormats: [])
        let command = try ColonCommand.parse("train mlp", vocabulary: vocabulary).get()
        guard case .train(let head) = command else { Issue.record("not a train command: \(command)"); return }
        runtime.queueTraining(reason: "asked for", head: head)
        #expect(world.calls == ["train mlp: asked for"])
        #expect(runtime.state.message == "training queued (job 7, asked for) — run `plankterm worker` to run it")
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
