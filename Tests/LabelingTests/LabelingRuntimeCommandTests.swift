import Foundation
import PlanktermCore
import Testing

@testable import Labeling

/// The runtime's own effects beyond labels: `:` commands, screens, class edits and the model poll, run
/// against the recording environment.
@Suite struct LabelingRuntimeCommandTests {
    static func runtime(_ world: RecordingWorld, runsJobs: Bool = true) -> LabelingRuntime {
        LabelingRuntimeTests.runtime(world, runsJobs: runsJobs)
    }

    @Test("a session's queue, model, caution and class names are taken whole, at the start and after a reload")
    func queueSnapshotIsTakenWhole() {
        let first = QueueSnapshot(
            items: [ImageID(3), ImageID(1)], name: "margin", modelId: "clf-a", modelCaution: "calibration rough",
            classNames: ["copepod", "diatom"])
        var state = LabelingState(project: "/p", queue: first)
        #expect(state.items == first.items && state.queueName == "margin" && state.modelId == "clf-a")
        #expect(state.modelCaution == "calibration rough" && state.classNames == ["copepod", "diatom"])
        let second = QueueSnapshot(
            items: [ImageID(9)], name: "entropy", modelId: nil, modelCaution: nil, classNames: [])
        state.take(second)
        #expect(state.items == [ImageID(9)] && state.queueName == "entropy" && state.modelId == nil)
        #expect(state.modelCaution == nil && state.classNames.isEmpty && state.project == "/p")
    }

    @Test("each job command queues its job and says what it will do")
    func jobCommands() throws {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        let cases: [(String, String, String)] = [
            (
                "pretrain 3", "pretrain 3",
                "SimCLR pretraining for 3 epochs queued (job 7): a night's work; it resumes after an interruption"
            ),
            (
                "pretrain", "pretrain 15",
                "SimCLR pretraining for 15 epochs queued (job 8): a night's work; it resumes after an interruption"
            ),
            (
                "finetune", "finetune 1",
                "fine-tuning the encoder's last stage queued (job 9); then every image is embedded again"
            ),
            ("embed", "embed", "embedding new images queued (job 10)"),
            ("abundance", "abundance folder", "abundance by folder queued (job 11): written to reports/ when done"),
            (
                "abundance station", "abundance station",
                "abundance by station queued (job 12): written to reports/ when done"
            ),
            ("train", "train default: asked for", "training queued (job 13, asked for)")
        ]
        for (line, call, message) in cases {
            try runtime.command(line)
            #expect(world.calls.last == call, "\(line)")
            #expect(runtime.state.message == message, "\(line)")
        }
    }

    @Test("a job that cannot be queued is said so; a line that is no command shows the usage")
    func refusedAndUnknown() {
        let world = RecordingWorld()
        world.enqueueError = RecordingWorld.Refused()
        var runtime = Self.runtime(world)
        for key in [Key.character(":")] + "embed".map(Key.character) + [.enter] { _ = runtime.send(key) }
        #expect(runtime.state.message == "not done: the database is read-only")
        for key in [Key.character(":")] + "train".map(Key.character) + [.enter] { _ = runtime.send(key) }
        #expect(runtime.state.message == "could not queue training: the database is read-only")
        for key in [Key.character(":")] + "fly".map(Key.character) + [.enter] { _ = runtime.send(key) }
        #expect(runtime.state.message == ColonCommand.usage)
        #expect(world.calls.isEmpty)
    }

    @Test(":queue reloads with the strategy and starts the queue again; :export says where it wrote")
    func queueAndExport() throws {
        let world = RecordingWorld()
        world.reloadedItems = [ImageID(3), ImageID(1)]
        var runtime = Self.runtime(world)
        runtime.show(2)
        runtime.state.screen = .grid
        try runtime.command("queue random")
        #expect(world.calls == ["reload random"])
        #expect(runtime.state.queueName == "random" && runtime.state.items == [ImageID(3), ImageID(1)])
        #expect(runtime.state.screen == .label && runtime.state.index == 0)
        #expect(runtime.state.current?.imageID == ImageID(3))
        #expect(runtime.state.message == "queue random: 2 images")
        world.latestModel = nil
        try runtime.command("queue margin")
        #expect(runtime.state.message == "no model yet: the queue is the unlabelled images")

        try runtime.command("export ecotaxa /tmp/out")
        #expect(world.calls.last == "export ecotaxa /tmp/out")
        #expect(runtime.state.message == "exported 3 labels as ecotaxa to /tmp/out")
    }

    @Test(":grid, :classes, :jobs and :quit open their screens; :grid matches the class typed")
    func screenCommands() throws {
        let world = RecordingWorld()
        world.jobViews = [JobView(id: 1, kind: "train", state: "done", progress: 1, message: "", error: nil)]
        var runtime = Self.runtime(world)
        try runtime.command("grid diat")
        #expect(runtime.state.screen == .grid && runtime.state.grid.source == .predicted("diatom"))
        #expect(world.calls.last == "gridItems predicted diatom, most confident first")
        #expect(runtime.state.grid.items.count == 30 && runtime.state.grid.cursor == 0)
        try runtime.command("grid zooplankton")
        #expect(runtime.state.message == "no class zooplankton")
        try runtime.command("grid")
        #expect(runtime.state.grid.source == .queue)
        try runtime.command("classes")
        #expect(runtime.state.screen == .classes && runtime.state.classes.rows.map(\.name) == world.classes)
        try runtime.command("jobs")
        #expect(runtime.state.screen == .jobs && runtime.state.jobs.jobs == world.jobViews)
        try runtime.command("label")
        #expect(runtime.state.screen == .label)
        try runtime.command("quit")
        #expect(runtime.state.quit)
    }

    @Test("adding, renaming and merging a class refresh the names, the Classes rows and say what changed")
    func classEdits() throws {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        let added = try runtime.perform(.addClass("nauplius"))
        #expect(added)
        #expect(runtime.state.message == "added class nauplius")
        #expect(runtime.state.classNames.last == "nauplius" && runtime.state.classes.rows.count == 5)
        let renamed = try runtime.perform(.renameClass("nauplius", to: "nauplii"))
        #expect(renamed)
        #expect(runtime.state.message == "renamed nauplius to nauplii")
        #expect(runtime.state.classNames.contains("nauplii") && !runtime.state.classNames.contains("nauplius"))
        let merged = try runtime.perform(.mergeClass("nauplii", into: "copepod"))
        #expect(merged)
        #expect(runtime.state.message == "merged nauplii into copepod: 4 labels moved (u undoes)")
        #expect(runtime.state.classes.rows.count == 4)
        #expect(world.calls == ["addClass nauplius", "renameClass nauplius nauplii", "mergeClass nauplii copepod"])
        let redraw = try runtime.perform(.redraw), quit = try runtime.perform(.quit)
        #expect(!redraw && !quit, "left to the loop")
    }

    @Test("the poll: an unchanged model does nothing; a new one keeps the image on screen, without a report too")
    func newModel() {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        let unchanged = runtime.adoptNewModel()
        #expect(!unchanged && world.calls.isEmpty)
        runtime.state.screen = .classes
        world.latestModel = "clf-2"
        let adopted = runtime.adoptNewModel()
        #expect(adopted && world.calls == ["reload -"])
        #expect(runtime.state.message == "new model clf-2: predictions and the queue are updated")
        #expect(runtime.state.current?.imageID == ImageID(1) && runtime.state.classes.rows.count == 4)
        let again = runtime.adoptNewModel()
        #expect(!again, "adopted once")
    }

    @Test("the poll re-reads the Jobs screen's jobs, and redraws only when they changed")
    func jobsRefresh() {
        let world = RecordingWorld()
        var runtime = Self.runtime(world)
        world.jobViews = [JobView(id: 2, kind: "embed", state: "running", progress: 0.5, message: "", error: nil)]
        let elsewhere = runtime.refreshJobs()
        #expect(!elsewhere, "not on the Jobs screen")
        runtime.state.screen = .jobs
        let changed = runtime.refreshJobs()
        #expect(changed && runtime.state.jobs.jobs == world.jobViews)
        let same = runtime.refreshJobs()
        #expect(!same)
    }
}
