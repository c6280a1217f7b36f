import PlanktermCore

/// The labeling screen without a terminal: the state, the training triggers, and every effect the
/// reducer asks for (labels, undo, the queue, screens, the Grid, class edits, `:` commands, jobs, the
/// model poll), run against an `Environment` of closures (the session and project in the executable, a
/// recording fake in tests). Only redrawing is left to the loop that owns the terminal (`LabelingLoop`).
public struct LabelingRuntime {
    public var state: LabelingState
    public var trigger: TrainingTrigger
    public let environment: Environment

    public init(state: LabelingState, trigger: TrainingTrigger, environment: Environment) {
        self.state = state
        self.trigger = trigger
        self.environment = environment
    }

    /// Reduces a key and runs its effects (an error becomes the status line); returns, in order, the
    /// effects this runtime does not run (redraw and quit, which belong to the loop).
    public mutating func send(_ key: Key) -> [Effect] {
        state.message = ""
        var others: [Effect] = []
        for effect in LabelingReducer.reduce(&state, key) {
            do {
                if try !perform(effect) { others.append(effect) }
            } catch {
                state.message = "not done: \(error)"
            }
        }
        return others
    }

    /// Runs one effect; false for redraw and quit, which the caller runs.
    public mutating func perform(_ effect: Effect) throws -> Bool {
        let env = environment
        switch effect {
        case .label(let id, let className, let status, let thenIndex):
            try env.label(id, className, status)
            state.labelled += 1
            state.classNames = env.classNames()
            state.message =
                "\(status == .dubious ? "dubious" : "labelled") \(className ?? "-"): "
                + (env.item(id)?.path ?? "")
            refreshTile(id)
            show(thenIndex)
            if status == .validated { countValidated(1) }
        case .labelMany(let ids, let className, let status):
            try env.labelMany(ids, className, status)
            state.labelled += ids.count
            state.message = "assigned \(className) to \(ids.count) neighbours"
            state.current = state.current.flatMap { env.item($0.imageID) }
            ids.forEach { refreshTile($0) }
            if status == .validated { countValidated(ids.count) }
        case .labelEach(let changes, let status):
            try env.labelEach(changes, status)
            state.labelled += changes.count
            state.classNames = env.classNames()
            changes.forEach { refreshTile($0.imageID) }
            let verb = status == .dubious ? "marked dubious" : "validated"
            state.message = "\(verb) \(changes.count) image\(changes.count == 1 ? "" : "s") (u undoes them together)"
            if status == .validated { countValidated(changes.count) }
        case .undo: showChanged(try env.undo(), done: "undone", nothing: "nothing to undo")
        case .redo: showChanged(try env.redo(), done: "redone", nothing: "nothing to redo")
        case .show(let index): show(index)
        case .cancelJob(let id):
            state.message = try env.cancelJob(id) ? "job \(id) cancelled" : "job \(id) has ended"
            state.jobs.jobs = try env.jobs()
        case .retryJob(let id):
            let new = try env.retryJob(id)
            state.message = new.map { "queued again as job \($0)" } ?? "no job \(id)"
            state.jobs.jobs = try env.jobs()
        default: return try performScreenEffect(effect)
        }
        return true
    }

    /// The effects that change screens and classes or run a command line; false for redraw and quit.
    mutating func performScreenEffect(_ effect: Effect) throws -> Bool {
        let env = environment
        switch effect {
        case .switchScreen(let kind): try loadScreen(kind)
        case .loadGrid(let source): loadGrid(source)
        case .open(let id):
            state.screen = .label
            showImage(id)
        case .addClass(let name):
            try env.addClass(name)
            try classesChanged("added class \(name)")
        case .renameClass(let old, let new):
            try env.renameClass(old, new)
            try classesChanged("renamed \(old) to \(new)")
        case .mergeClass(let source, let target):
            let moved = try env.mergeClass(source, target)
            try classesChanged("merged \(source) into \(target): \(moved) labels moved (u undoes)")
        case .command(let text): try command(text)
        default: return false
        }
        return true
    }

    /// Queues training and says so on the status line (or why it could not).
    public mutating func queueTraining(reason: String, head: String? = nil) {
        do {
            let id = try environment.enqueue(.train(reason: reason, head: head))
            state.message =
                "training queued (job \(id), \(reason))"
                + (environment.runsJobs ? "" : " — run `plankterm worker` to run it")
        } catch {
            state.message = "could not queue training: \(error)"
        }
    }

    /// No key came: queues training when the idle trigger fires; true when it did (the screen redraws).
    public mutating func noKey() -> Bool {
        guard let reason = trigger.noKey() else { return false }
        queueTraining(reason: reason)
        return true
    }

    /// Leaving the screen: training queued on the labels given since the last training, for
    /// `plankterm worker` (its job id; nil when none was given or it could not be queued).
    public func queueTrainingOnLeaving() -> Int64? {
        guard trigger.validatedSinceTrain > 0 else { return nil }
        return try? environment.enqueue(.train(reason: "labels given before quitting", head: nil))
    }

    /// Shows the item at a queue position (clamped to the queue).
    public mutating func show(_ index: Int) {
        state.index = max(0, min(index, max(0, state.items.count - 1)))
        state.current = environment.itemAt(state.index)
        state.resetZoom()
        state.selected = []
        state.neighborCursor = 0
    }

    /// Shows one image: at its queue position if it is in the queue.
    public mutating func showImage(_ id: ImageID) {
        if let i = state.items.firstIndex(of: id) {
            show(i)
        } else {
            state.current = environment.item(id)
            state.resetZoom()
        }
    }

    /// Re-reads a Grid tile that is loaded (its label changed).
    public mutating func refreshTile(_ id: ImageID) {
        if state.grid.tiles[id] != nil { state.grid.tiles[id] = environment.tile(id) }
    }

    /// After undo or redo: show the image it changed (in the queue if it is there).
    mutating func showChanged(_ ids: [ImageID], done: String, nothing: String) {
        guard let id = ids.first else { state.message = nothing; return }
        ids.forEach { refreshTile($0) }
        if state.screen == .label { showImage(id) }
        state.message = ids.count > 1 ? "\(done) (\(ids.count) images)" : done
    }

    /// The train-every trigger: counts validated labels and queues training when it fires.
    mutating func countValidated(_ n: Int) {
        if let reason = trigger.counted(n) { queueTraining(reason: reason) }
    }
}
