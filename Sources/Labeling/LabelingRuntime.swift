import PlanktermCore

/// The labeling screen without a terminal: the state, the training triggers, and the effects that write
/// labels, move in the queue and touch jobs, run against an `Environment` of closures (the session and
/// store in the executable, a recording fake in tests). Screens, classes and `:` commands are still run
/// by the executable's loop (`perform` returns false for them).
public struct LabelingRuntime {
    /// What the runtime asks of the world. The closures run on the screen's thread (the live ones hold
    /// the session, which is not `Sendable`), so they are plain closures.
    public struct Environment {
        /// Label (nil class: withdraw) one image, one transaction.
        public var label: (ImageID, String?, LabelStatus) throws -> Void
        /// Give several images one class, one transaction.
        public var labelMany: ([ImageID], String, LabelStatus) throws -> Void
        /// Give each image its own class, one transaction and one undo.
        public var labelEach: ([LabelChange], LabelStatus) throws -> Void
        /// Undo or redo the last change; the images it changed.
        public var undo: () throws -> [ImageID]
        public var redo: () throws -> [ImageID]
        /// The item at a queue position, and one image's item.
        public var itemAt: (Int) -> ItemView?
        public var item: (ImageID) -> ItemView?
        public var tile: (ImageID) -> GridTile?
        public var classNames: () -> [String]
        /// Queue a training job (nil head: the settings' head); its id.
        public var enqueueTraining: (_ reason: String, _ head: String?) throws -> Int64
        /// Cancel a job (false: it had ended); queue a job again (its new id, nil: no such job).
        public var cancelJob: (Int64) throws -> Bool
        public var retryJob: (Int64) throws -> Int64?
        public var jobs: () throws -> [JobView]
        /// Whether this process runs queued jobs (else the message points at `plankterm worker`).
        public var runsJobs: Bool

        public init(
            label: @escaping (ImageID, String?, LabelStatus) throws -> Void,
            labelMany: @escaping ([ImageID], String, LabelStatus) throws -> Void,
            labelEach: @escaping ([LabelChange], LabelStatus) throws -> Void,
            undo: @escaping () throws -> [ImageID], redo: @escaping () throws -> [ImageID],
            itemAt: @escaping (Int) -> ItemView?, item: @escaping (ImageID) -> ItemView?,
            tile: @escaping (ImageID) -> GridTile?, classNames: @escaping () -> [String],
            enqueueTraining: @escaping (String, String?) throws -> Int64,
            cancelJob: @escaping (Int64) throws -> Bool, retryJob: @escaping (Int64) throws -> Int64?,
            jobs: @escaping () throws -> [JobView], runsJobs: Bool
        ) {
            self.label = label
            self.labelMany = labelMany
            self.labelEach = labelEach
            self.undo = undo
            self.redo = redo
            self.itemAt = itemAt
            self.item = item
            self.tile = tile
            self.classNames = classNames
            self.enqueueTraining = enqueueTraining
            self.cancelJob = cancelJob
            self.retryJob = retryJob
            self.jobs = jobs
            self.runsJobs = runsJobs
        }
    }

    public var state: LabelingState
    public var trigger: TrainingTrigger
    public let environment: Environment

    public init(state: LabelingState, trigger: TrainingTrigger, environment: Environment) {
        self.state = state
        self.trigger = trigger
        self.environment = environment
    }

    /// Reduces a key and runs its effects (an error becomes the status line); returns, in order, the
    /// effects this runtime does not run.
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

    /// Runs one effect if it is one of the runtime's; false for one the caller runs.
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
        default: return false
        }
        return true
    }

    /// Queues training and says so on the status line (or why it could not).
    public mutating func queueTraining(reason: String, head: String? = nil) {
        do {
            let id = try environment.enqueueTraining(reason, head)
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
