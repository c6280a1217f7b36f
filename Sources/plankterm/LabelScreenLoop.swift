import Foundation
import Labeling
import Learning
import PlanktermCore
import Project
import Store
import Terminal
import TUI

/// One run of the labeling screen: its state, the session and terminal it drives, and the job thread.
/// Lives on the curses thread; `run()` is the read → reduce → effects → render loop.
final class LabelScreenLoop {
    let store: ProjectStore
    let imagesRoot: String
    let settings: LabelScreenSettings
    let session: LabelingSession
    let driver: TerminalDriver
    var state: LabelingState
    var screen: LabelScreen
    let board = JobBoard()
    let worker: Thread?
    var trigger: TrainingTrigger
    var lastModelCheck = Date()

    var annotator: String { settings.annotator }

    /// Loads the session and starts the terminal (the caller ends it) and, when asked, the job thread.
    init(store: ProjectStore, imagesRoot: String, settings: LabelScreenSettings, strategy: QueryStrategy) throws {
        self.store = store
        self.imagesRoot = imagesRoot
        self.settings = settings
        let session = try LabelingSession(store: store, imagesRoot: imagesRoot, strategy: strategy)
        self.session = session
        let driver = try TerminalDriver(depth: settings.depth, theme: settings.theme, graphics: settings.graphics)
        self.driver = driver
        var state = LabelingState(project: store.directory, queueName: session.queueName, items: session.queue,
                                  classNames: session.classNames, modelId: session.modelId)
        state.modelCaution = session.modelCaution
        state.current = session.item(at: 0)
        self.state = state
        var screen = LabelScreen(blitter: settings.quadrants
            ? QuadrantBlitter(depth: driver.depth, asciiOnly: !driver.unicode) as any Blitter
            : HalfBlockBlitter(depth: driver.depth, asciiOnly: !driver.unicode),
                                 cellPixels: driver.graphics.cellPixels, pixelSizeMicrometres: settings.pixelSizeMicrometres)
        screen.imagesLine = driver.graphics.summary
        self.screen = screen
        worker = settings.runJobs ? JobThread.start(store: store, imagesRoot: imagesRoot, board: board) : nil
        trigger = TrainingTrigger(every: settings.trainEvery, idle: settings.trainIdle, clock: SystemClock())
    }

    /// Reads keys until the screen is left, then stops the job thread and says what the session did.
    func run() -> LabelScreenShell.Outcome {
        draw()
        while !state.quit && !driver.stopRequested {
            let key = driver.readKey(timeout: 250)
            // The idle trigger: labels given, then no key for a while (a coffee): train on them now.
            if key == nil, let reason = trigger.noKey() {
                queueTraining(reason: reason)
                draw()
            }
            if key != nil { trigger.keyPressed() }
            let jobLine = board.line
            if jobLine != state.jobLine {
                state.jobLine = jobLine
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
            state.message = ""
            for effect in LabelingReducer.reduce(&state, key) {
                do {
                    try perform(effect, key: key)
                } catch {
                    state.message = "not done: \(error)"
                }
            }
            draw()
        }
        return leave()
    }

    /// Runs one effect the reducer asked for (`key` is the key that asked, for redraws).
    func perform(_ effect: Effect, key: Key) throws {
        switch effect {
        case .label(let id, let className, let status, let thenIndex):
            try session.label(id, className: className, status: status, annotator: annotator)
            state.labelled += 1
            state.classNames = session.classNames
            state.message = "\(status == .dubious ? "dubious" : "labelled") \(className ?? "-"): "
                + (session.item(id)?.path ?? "")
            refreshTile(id)
            show(thenIndex)
            if status == .validated { countValidated(1) }
        case .labelMany(let ids, let className, let status):
            try session.label(ids, className: className, status: status, annotator: annotator)
            state.labelled += ids.count
            state.message = "assigned \(className) to \(ids.count) neighbours"
            state.current = state.current.flatMap { session.item($0.imageID) }
            ids.forEach(refreshTile)
            if status == .validated { countValidated(ids.count) }
        case .labelEach(let changes, let status):
            try session.label(changes, status: status, annotator: annotator)
            state.labelled += changes.count
            state.classNames = session.classNames
            changes.forEach { refreshTile($0.imageID) }
            let verb = status == .dubious ? "marked dubious" : "validated"
            state.message = "\(verb) \(changes.count) image\(changes.count == 1 ? "" : "s") (u undoes them together)"
            if status == .validated { countValidated(changes.count) }
        case .undo:
            showChanged(try session.undo(annotator: annotator), done: "undone", nothing: "nothing to undo")
        case .redo:
            showChanged(try session.redo(annotator: annotator), done: "redone", nothing: "nothing to redo")
        case .show(let index):
            show(index)
        case .switchScreen(let kind):
            try loadScreen(kind)
        case .loadGrid(let source):
            loadGrid(source)
        case .open(let id):
            state.screen = .label
            showImage(id)
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
        case .cancelJob(let id):
            state.message = try store.cancelJob(id, time: Date()) ? "job \(id) cancelled" : "job \(id) has ended"
            state.jobs.jobs = try store.jobs().map(LabelScreenShell.jobView)
        case .retryJob(let id):
            let new = try store.retryJob(id, time: Date())
            state.message = new.map { "queued again as job \($0)" } ?? "no job \(id)"
            state.jobs.jobs = try store.jobs().map(LabelScreenShell.jobView)
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
            try? store.finishJob(running, state: .failed, message: "stopped", error: "the labeling screen closed while it ran",
                                 time: Date())
            queued = try? store.retryJob(running, time: Date())
        } else if trigger.validatedSinceTrain > 0 {
            queued = try? enqueueTraining(reason: "labels given before quitting")
        }
        return LabelScreenShell.Outcome(labelled: state.labelled, queuedJob: queued)
    }

    func draw() {
        let size = driver.size
        let layout = LabelScreen.gridLayout(width: size.width, height: size.height)
        state.grid.columns = layout.columns
        state.grid.rows = layout.rows
        state.grid.move(to: state.grid.cursor)
        loadVisibleTiles()
        // The main image at its own resolution where pixels or a zoom can show it (decoded once).
        if state.screen == .label, driver.graphics.mode != .blocks || state.zoom > 1,
           let current = state.current, current.picture == nil {
            state.current?.picture = session.picture(current.imageID)
        }
        driver.draw(screen.render(state, width: size.width, height: size.height))
    }

    func loadVisibleTiles() {
        guard state.screen == .grid else { return }
        for i in state.grid.visible where state.grid.tiles[state.grid.items[i]] == nil {
            state.grid.tiles[state.grid.items[i]] = session.tile(state.grid.items[i])
        }
    }

    func show(_ index: Int) {
        state.index = max(0, min(index, max(0, state.items.count - 1)))
        state.current = session.item(at: state.index)
        state.resetZoom()
        state.selected = []
        state.neighborCursor = 0
    }

    /// Shows one image: at its queue position if it is in the queue.
    func showImage(_ id: ImageID) {
        if let i = state.items.firstIndex(of: id) { show(i) } else {
            state.current = session.item(id)
            state.resetZoom()
        }
    }

    /// After undo or redo: show the image it changed (in the queue if it is there).
    func showChanged(_ ids: [ImageID], done: String, nothing: String) {
        guard let id = ids.first else { state.message = nothing; return }
        ids.forEach(refreshTile)
        if state.screen == .label { showImage(id) }
        state.message = ids.count > 1 ? "\(done) (\(ids.count) images)" : done
    }

    func refreshTile(_ id: ImageID) {
        if state.grid.tiles[id] != nil { state.grid.tiles[id] = session.tile(id) }
    }

    func loadGrid(_ source: GridSource) {
        state.grid.source = source
        state.grid.items = session.gridItems(source)
        state.grid.tiles = [:]
        state.grid.selected = []
        state.grid.cursor = 0
        state.grid.top = 0
        state.screen = .grid
    }

    func loadScreen(_ kind: ScreenKind) throws {
        switch kind {
        case .label: state.current = state.current.flatMap { session.item($0.imageID) }
        case .grid: if state.grid.items.isEmpty { loadGrid(state.grid.source) }
        case .classes: state.classes.rows = try session.classRows()
        case .jobs: state.jobs.jobs = try store.jobs().map(LabelScreenShell.jobView)
        }
        state.screen = kind
    }

    /// When another model became current (ours or another process's): re-read predictions and queue.
    func checkForNewModel() {
        guard Date().timeIntervalSince(lastModelCheck) >= 1 else { return }
        lastModelCheck = Date()
        if state.screen == .jobs, let jobs = try? store.jobs().map(LabelScreenShell.jobView), jobs != state.jobs.jobs {
            state.jobs.jobs = jobs
            draw()
        }
        guard let latest = session.latestModelId(), latest != session.modelId else { return }
        do {
            try session.reload()
            let currentID = state.current?.imageID
            adoptSessionQueue()
            // The image on screen stays; after it comes the new queue from its start.
            if let currentID, state.screen == .label {
                state.items = [currentID] + state.items.filter { $0 != currentID }
            }
            state.index = 0
            state.current = currentID.flatMap { session.item($0) } ?? session.item(at: 0)
            state.grid.tiles = [:]
            if state.screen == .classes { state.classes.rows = try session.classRows() }
            let report = try? ModelChangeReport.load(project: store.directory, modelId: latest)
            state.message = "new model \(latest): " + (report.map { $0.summary + " · R reviews the changed" }
                ?? "predictions and the queue are updated")
            draw()
        } catch {
            state.message = "could not load the new model: \(error)"
        }
    }

    /// After the session re-read the model and queue: take its queue, model and class names.
    func adoptSessionQueue() {
        state.items = session.queue
        state.queueName = session.queueName
        state.modelId = session.modelId
        state.modelCaution = session.modelCaution
        state.classNames = session.classNames
    }

    /// After a class was added, renamed or merged: the names, the Classes rows and the image on screen.
    func classesChanged(_ message: String) throws {
        state.classNames = session.classNames
        state.classes.rows = try session.classRows()
        state.current = state.current.flatMap { session.item($0.imageID) }
        state.message = message
    }

    /// The automatic trigger: every `trainEvery` validated labels, queue a training job.
    func countValidated(_ n: Int) {
        if let reason = trigger.counted(n) { queueTraining(reason: reason) }
    }

    func enqueueTraining(reason: String, head: HeadKind? = nil) throws -> Int64 {
        try store.enqueue(.train(TrainJobParameters(head: head ?? settings.trainHead, reason: reason)), time: Date())
    }

    func queueTraining(reason: String, head: HeadKind? = nil) {
        do {
            let id = try enqueueTraining(reason: reason, head: head)
            state.message = "training queued (job \(id), \(reason))"
                + (worker == nil ? " — run `plankterm worker` to run it" : "")
        } catch {
            state.message = "could not queue training: \(error)"
        }
    }
}
