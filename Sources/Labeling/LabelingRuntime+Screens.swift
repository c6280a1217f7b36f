import PlanktermCore

extension LabelingRuntime {
    /// Loads what a screen shows (counts, jobs, the Grid's images) and shows it.
    public mutating func loadScreen(_ kind: ScreenKind) throws {
        switch kind {
        case .label: state.current = state.current.flatMap { environment.item($0.imageID) }
        case .grid: if state.grid.items.isEmpty { loadGrid(state.grid.source) }
        case .classes: state.classes.rows = try environment.classRows()
        case .jobs: state.jobs.jobs = try environment.jobs()
        }
        state.screen = kind
    }

    /// Fills the Grid from a source, from its first tile, and shows it (tiles load as they come in view).
    public mutating func loadGrid(_ source: GridSource) {
        state.grid.source = source
        state.grid.items = environment.gridItems(source)
        state.grid.tiles = [:]
        state.grid.selected = []
        state.grid.cursor = 0
        state.grid.top = 0
        state.screen = .grid
    }

    /// Before a frame of `columns` × `rows` Grid tiles: lays out the Grid, loads the tiles in view, and,
    /// when `pixels` (the terminal draws images from their pixels) or a zoom can show it, the main
    /// image at its own resolution (decoded once).
    public mutating func prepareFrame(columns: Int, rows: Int, pixels: Bool) {
        state.grid.columns = columns
        state.grid.rows = rows
        state.grid.move(to: state.grid.cursor)
        loadVisibleTiles()
        if state.screen == .label, pixels || state.zoom > 1, let current = state.current, current.picture == nil {
            let picture = environment.picture(current.imageID)
            state.current?.picture = picture
        }
    }

    /// Loads the Grid tiles in view that are not loaded yet.
    public mutating func loadVisibleTiles() {
        guard state.screen == .grid else { return }
        for i in state.grid.visible where state.grid.tiles[state.grid.items[i]] == nil {
            state.grid.tiles[state.grid.items[i]] = environment.tile(state.grid.items[i])
        }
    }

    /// After the session re-read the model and queue: take its queue, model and class names.
    public mutating func adoptQueue() { state.take(environment.queue()) }

    /// After a class was added, renamed or merged: the names, the Classes rows and the image on screen.
    mutating func classesChanged(_ message: String) throws {
        state.classNames = environment.classNames()
        state.classes.rows = try environment.classRows()
        state.current = state.current.flatMap { environment.item($0.imageID) }
        state.message = message
    }

    // MARK: The model poll

    /// On the Jobs screen: re-reads the jobs; true when they changed (the screen redraws).
    public mutating func refreshJobs() -> Bool {
        guard state.screen == .jobs, let jobs = try? environment.jobs(), jobs != state.jobs.jobs else { return false }
        state.jobs.jobs = jobs
        return true
    }

    /// When another model became current (ours or another process's): re-reads predictions and queue,
    /// keeping the image on screen first; true when it did (the screen redraws).
    public mutating func adoptNewModel() -> Bool {
        guard let latest = environment.latestModelId(), latest != environment.queue().modelId else { return false }
        do {
            try environment.reload(nil)
            let currentID = state.current?.imageID
            adoptQueue()
            // The image on screen stays; after it comes the new queue from its start.
            if let currentID, state.screen == .label {
                state.items = [currentID] + state.items.filter { $0 != currentID }
            }
            state.index = 0
            state.current = currentID.flatMap { environment.item($0) } ?? environment.itemAt(0)
            state.grid.tiles = [:]
            if state.screen == .classes { state.classes.rows = try environment.classRows() }
            state.message =
                "new model \(latest): "
                + (environment.modelChangeSummary(latest).map { $0 + " · R reviews the changed" }
                    ?? "predictions and the queue are updated")
            return true
        } catch {
            state.message = "could not load the new model: \(error)"
            return false
        }
    }
}
