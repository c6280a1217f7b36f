import Foundation
import Labeling
import Learning
import PlanktermCore
import Project
import TUI
import Terminal

/// One run of the labeling screen: its state, the session and terminal it drives, and the job thread.
/// Lives on the curses thread; `run()` is the read → reduce → effects → render loop.
final class LabelScreenLoop {
    let handle: ProjectHandle
    let imagesRoot: String
    let settings: LabelScreenSettings
    let session: LabelingSession
    let driver: TerminalDriver
    var runtime: LabelingRuntime
    var screen: LabelScreen
    let board = JobBoard()
    let worker: Thread?
    /// Where the screen's time comes from: job timestamps, the training triggers and the model poll.
    let clock: any Clock
    var lastModelCheck: Date

    var annotator: String { settings.annotator }

    /// Loads the session and starts the terminal (the caller ends it) and, when asked, the job thread.
    init(
        project handle: ProjectHandle, imagesRoot: String, settings: LabelScreenSettings, strategy: QueryStrategy,
        clock: any Clock = SystemClock()
    ) throws {
        self.handle = handle
        self.clock = clock
        lastModelCheck = clock.now()
        self.imagesRoot = imagesRoot
        self.settings = settings
        let session = try LabelingSession(project: handle, imagesRoot: imagesRoot, strategy: strategy)
        self.session = session
        let driver = try TerminalDriver(depth: settings.depth, theme: settings.theme, graphics: settings.graphics)
        self.driver = driver
        var state = LabelingState(
            project: handle.directory, queueName: session.queueName, items: session.queue,
            classNames: session.classNames, modelId: session.modelId)
        state.modelCaution = session.modelCaution
        state.current = session.item(at: 0)
        var screen = LabelScreen(
            blitter: settings.quadrants
                ? QuadrantBlitter(depth: driver.depth, asciiOnly: !driver.unicode) as any Blitter
                : HalfBlockBlitter(depth: driver.depth, asciiOnly: !driver.unicode),
            cellPixels: driver.graphics.cellPixels, pixelSizeMicrometres: settings.pixelSizeMicrometres)
        screen.imagesLine = driver.graphics.summary
        self.screen = screen
        worker = settings.runJobs ? JobThread.start(project: handle, imagesRoot: imagesRoot, board: board) : nil
        runtime = LabelingRuntime(
            state: state,
            trigger: TrainingTrigger(
                every: settings.trainEvery, idle: settings.trainIdle,
                clock: clock),
            environment: Self.environment(
                project: handle, session: session, settings: settings,
                runsJobs: settings.runJobs, clock: clock))
    }

    /// Reads keys until the screen is left, then stops the job thread and says what the session did.
    func run() -> LabelScreenShell.Outcome {
        draw()
        while !runtime.state.quit && !driver.stopRequested {
            let key = driver.readKey(timeout: 250)
            // The idle trigger: labels given, then no key for a while (a coffee): train on them now.
            if key == nil, runtime.noKey() { draw() }
            if key != nil { runtime.trigger.keyPressed() }
            let jobLine = board.line
            if jobLine != runtime.state.jobLine {
                runtime.state.jobLine = jobLine
                if key == nil { draw() }
            }
            checkForNewModel()
            guard let key else { continue }
            if key == .control("c") { break }
            let size = driver.size
            if !LabelScreen.fits(width: size.width, height: size.height) {
                // The screen shows only "window too small": a key's result would not be seen, so none is
                // taken but quitting and redrawing.
                if key == .character("q") { break }
                if key == .resize || key == .control("l") {
                    driver.invalidate()
                    draw()
                }
                continue
            }
            runtime.state.message = ""
            for effect in LabelingReducer.reduce(&runtime.state, key) {
                do {
                    if try !runtime.perform(effect) { try perform(effect, key: key) }
                } catch {
                    runtime.state.message = "not done: \(error)"
                }
            }
            draw()
        }
        return leave()
    }

    /// Runs one effect the reducer asked for (`key` is the key that asked, for redraws).
    func perform(_ effect: Effect, key: Key) throws {
        switch effect {
        case .label, .labelMany, .labelEach, .undo, .redo, .show, .cancelJob, .retryJob:
            break  // run by the runtime
        case .switchScreen(let kind):
            try loadScreen(kind)
        case .loadGrid(let source):
            loadGrid(source)
        case .open(let id):
            runtime.state.screen = .label
            runtime.showImage(id)
        case .addClass(let name):
            try session.addClass(name)
            try classesChanged("added class \(name)")
        case .renameClass(let old, let new):
            try session.renameClass(old, to: new)
            try classesChanged("renamed \(old) to \(new)")
        case .mergeClass(let source, let target):
            let moved = try session.mergeClass(source, into: target, annotator: annotator)
            try classesChanged("merged \(source) into \(target): \(moved) labels moved (u undoes)")
        case .command(let text):
            try command(text)
        case .redraw:
            if key == .control("l") || key == .resize { driver.invalidate() }
        case .quit:
            break
        }
    }

    /// Leaving the screen: what the session did, with the training job it left queued.
    func leave() -> LabelScreenShell.Outcome {
        // Leaving: stop the job thread (a job it was running is queued again for the next process), and
        // queue training when labels were given since the last model, for `plankterm worker`.
        board.stop = true
        var queued: Int64?
        if let running = board.running {
            queued = try? handle.requeueInterrupted(job: running, reason: "the labeling screen closed while it ran")
        } else if runtime.trigger.validatedSinceTrain > 0 {
            queued = try? runtime.environment.enqueueTraining("labels given before quitting", nil)
        }
        return LabelScreenShell.Outcome(labelled: runtime.state.labelled, queuedJob: queued)
    }

    func draw() {
        let size = driver.size
        let layout = LabelScreen.gridLayout(width: size.width, height: size.height)
        runtime.state.grid.columns = layout.columns
        runtime.state.grid.rows = layout.rows
        runtime.state.grid.move(to: runtime.state.grid.cursor)
        loadVisibleTiles()
        // The main image at its own resolution where pixels or a zoom can show it (decoded once).
        if runtime.state.screen == .label, driver.graphics.mode != .blocks || runtime.state.zoom > 1,
            let current = runtime.state.current, current.picture == nil
        {
            runtime.state.current?.picture = session.picture(current.imageID)
        }
        driver.draw(screen.render(runtime.state, width: size.width, height: size.height))
    }

    func loadVisibleTiles() {
        guard runtime.state.screen == .grid else { return }
        for i in runtime.state.grid.visible where runtime.state.grid.tiles[runtime.state.grid.items[i]] == nil {
            runtime.state.grid.tiles[runtime.state.grid.items[i]] = session.tile(runtime.state.grid.items[i])
        }
    }

    func loadGrid(_ source: GridSource) {
        runtime.state.grid.source = source
        runtime.state.grid.items = session.gridItems(source)
        runtime.state.grid.tiles = [:]
        runtime.state.grid.selected = []
        runtime.state.grid.cursor = 0
        runtime.state.grid.top = 0
        runtime.state.screen = .grid
    }

    func loadScreen(_ kind: ScreenKind) throws {
        switch kind {
        case .label: runtime.state.current = runtime.state.current.flatMap { session.item($0.imageID) }
        case .grid: if runtime.state.grid.items.isEmpty { loadGrid(runtime.state.grid.source) }
        case .classes: runtime.state.classes.rows = try session.classRows()
        case .jobs: runtime.state.jobs.jobs = try handle.jobViews()
        }
        runtime.state.screen = kind
    }

    /// When another model became current (ours or another process's): re-read predictions and queue.
    func checkForNewModel() {
        let now = clock.now()
        guard now.timeIntervalSince(lastModelCheck) >= 1 else { return }
        lastModelCheck = now
        if runtime.state.screen == .jobs, let jobs = try? handle.jobViews(), jobs != runtime.state.jobs.jobs {
            runtime.state.jobs.jobs = jobs
            draw()
        }
        guard let latest = session.latestModelId(), latest != session.modelId else { return }
        do {
            try session.reload()
            let currentID = runtime.state.current?.imageID
            adoptSessionQueue()
            // The image on screen stays; after it comes the new queue from its start.
            if let currentID, runtime.state.screen == .label {
                runtime.state.items = [currentID] + runtime.state.items.filter { $0 != currentID }
            }
            runtime.state.index = 0
            runtime.state.current = currentID.flatMap { session.item($0) } ?? session.item(at: 0)
            runtime.state.grid.tiles = [:]
            if runtime.state.screen == .classes { runtime.state.classes.rows = try session.classRows() }
            let report = try? ModelChangeReport.load(project: handle.directory, modelId: latest)
            runtime.state.message =
                "new model \(latest): "
                + (report.map { $0.summary + " · R reviews the changed" }
                    ?? "predictions and the queue are updated")
            draw()
        } catch {
            runtime.state.message = "could not load the new model: \(error)"
        }
    }

    /// After the session re-read the model and queue: take its queue, model and class names.
    func adoptSessionQueue() {
        runtime.state.items = session.queue
        runtime.state.queueName = session.queueName
        runtime.state.modelId = session.modelId
        runtime.state.modelCaution = session.modelCaution
        runtime.state.classNames = session.classNames
    }

    /// After a class was added, renamed or merged: the names, the Classes rows and the image on screen.
    func classesChanged(_ message: String) throws {
        runtime.state.classNames = session.classNames
        runtime.state.classes.rows = try session.classRows()
        runtime.state.current = runtime.state.current.flatMap { session.item($0.imageID) }
        runtime.state.message = message
    }

    /// The runtime's environment: the session and project behind its closures; `clock` stamps the jobs it queues.
    static func environment(
        project handle: ProjectHandle, session: LabelingSession, settings: LabelScreenSettings,
        runsJobs: Bool, clock: any Clock
    ) -> LabelingRuntime.Environment {
        let annotator = settings.annotator
        return LabelingRuntime.Environment(
            label: { try session.label($0, className: $1, status: $2, annotator: annotator) },
            labelMany: { try session.label($0, className: $1, status: $2, annotator: annotator) },
            labelEach: { try session.label($0, status: $1, annotator: annotator) },
            undo: { try session.undo(annotator: annotator) }, redo: { try session.redo(annotator: annotator) },
            itemAt: { session.item(at: $0) }, item: { session.item($0) }, tile: { session.tile($0) },
            classNames: { session.classNames },
            enqueueTraining: { reason, head in
                try handle.enqueue(
                    .train(
                        TrainJobParameters(
                            head: head.flatMap(HeadKind.init(rawValue:)) ?? settings.trainHead,
                            reason: reason)), time: clock.now())
            },
            cancelJob: { try handle.cancelJob($0, time: clock.now()) },
            retryJob: { try handle.retryJob($0, time: clock.now()) },
            jobs: { try handle.jobViews() }, runsJobs: runsJobs)
    }
}
