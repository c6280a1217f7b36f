import PlanktermCore

/// What the shell must do after a key: database writes, loading another image, quitting.
public enum Effect: Sendable, Equatable {
    /// Label (or with nil, withdraw the label of) an image, in one transaction, then show `thenIndex`.
    case label(ImageID, className: String?, status: LabelStatus, thenIndex: Int)
    /// Give several images one class in one transaction (a bulk assignment); stay on the current image.
    case labelMany([ImageID], className: String, status: LabelStatus)
    /// Give each image its own class in one transaction and one undo (validating a Grid page).
    case labelEach([LabelChange], status: LabelStatus)
    case undo
    case redo
    /// Load the data of a screen before showing it (counts, jobs).
    case switchScreen(ScreenKind)
    /// Fill the Grid from a source.
    case loadGrid(GridSource)
    /// Show one image on the Label screen.
    case open(ImageID)
    case addClass(String)
    case renameClass(String, to: String)
    case mergeClass(String, into: String)
    /// Run a `:` command line.
    case command(String)
    case cancelJob(Int64)
    case retryJob(Int64)
    /// Show the item at this queue position.
    case show(Int)
    case redraw
    case quit
}

/// One image and the class it gets.
public struct LabelChange: Sendable, Equatable {
    public var imageID: ImageID
    public var className: String
    public init(_ imageID: ImageID, _ className: String) {
        self.imageID = imageID
        self.className = className
    }
}

/// Turns a key into state changes and effects (vim-flavoured keys; every action has one). Pure: the
/// tests drive it with key scripts.
public enum LabelingReducer {
    public static func reduce(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        switch state.mode {
        case .help:
            state.mode = .normal
            return [.redraw]
        case .picker(let typed):
            return picker(&state, typed, key)
        case .command(let typed):
            return commandLine(&state, typed, key)
        case .normal:
            if case .paste = key {
                state.message = "pasted text is taken only by the class picker (t) and the command line (:)"
                return [.redraw]
            }
            if let effects = global(&state, key) { return effects }
            switch state.screen {
            case .label: return normal(&state, key)
            case .grid: return grid(&state, key)
            case .classes: return classes(&state, key)
            case .jobs: return jobs(&state, key)
            }
        }
    }

    /// Keys that do the same on every screen; nil when the key is the screen's own.
    static func global(_ state: inout LabelingState, _ key: Key) -> [Effect]? {
        switch key {
        case .character("q"):
            state.quit = true
            return [.quit]
        case .control("l"), .resize:
            return [.redraw]
        case .character("?"):
            state.mode = .help
            return [.redraw]
        case .tab:
            let all = ScreenKind.allCases
            let next = all[(all.firstIndex(of: state.screen)! + 1) % all.count]
            return [.switchScreen(next)]
        case .character(":"):
            state.mode = .command("")
            return [.redraw]
        case .character("u"):
            return [.undo]
        case .control("r"):
            return [.redo]
        case .character("R"):
            return [.loadGrid(.changed)]
        default:
            return nil
        }
    }

    static func openPicker(_ state: inout LabelingState, _ purpose: PickerPurpose) -> [Effect] {
        state.pickerPurpose = purpose
        state.mode = .picker("")
        return [.redraw]
    }

    /// Zoom, pan and the size-true switch of the Label screen; nil when the key is not one of them.
    /// While zoomed the arrows pan the main image (h j k l keep their meanings).
    static func view(_ state: inout LabelingState, _ key: Key) -> [Effect]? {
        let levels = LabelingState.zoomLevels
        switch key {
        case .character("+"), .character("="):
            guard state.current != nil else { return [] }
            state.zoom = levels.first { $0 > state.zoom } ?? state.zoom
            state.message = "zoom ×\(zoomText(state.zoom)) · arrows pan · - zooms out"
            return [.redraw]
        case .character("-"):
            guard state.current != nil else { return [] }
            state.zoom = levels.last { $0 < state.zoom } ?? 1
            if state.zoom == 1 { state.resetZoom() }
            state.message = state.zoom == 1 ? "fitted" : "zoom ×\(zoomText(state.zoom))"
            return [.redraw]
        case .character("z"):
            toggleSizeTrue(&state)
            return [.redraw]
        case .left, .right, .up, .down:
            guard state.zoom > 1 else { return nil }
            let step = 0.25 / state.zoom
            switch key {
            case .left: state.panX -= step
            case .right: state.panX += step
            case .up: state.panY -= step
            default: state.panY += step
            }
            // The centre stays where the box is still filled by the image.
            let half = 0.5 / state.zoom
            state.panX = min(1 - half, max(half, state.panX))
            state.panY = min(1 - half, max(half, state.panY))
            return [.redraw]
        default:
            return nil
        }
    }

    static func toggleSizeTrue(_ state: inout LabelingState) {
        state.sizeTrue.toggle()
        state.message =
            state.sizeTrue
            ? "size-true: one scale for all thumbnails (z: fit each)"
            : "each thumbnail fitted to its tile (z: one scale for all)"
    }

    static func zoomText(_ zoom: Double) -> String {
        zoom == zoom.rounded() ? String(Int(zoom)) : String(zoom)
    }

    static func next(_ state: LabelingState) -> Int { min(state.index + 1, max(0, state.items.count - 1)) }

    static func normal(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        if let effects = view(&state, key) { return effects }
        if let effects = neighbours(&state, key) { return effects }
        switch key {
        case .character("n"), .character("j"), .down:
            guard state.index + 1 < state.items.count else { state.message = "end of the queue"; return [] }
            return [.show(state.index + 1)]
        case .character("N"), .character("k"), .up:
            guard state.index > 0 else { state.message = "start of the queue"; return [] }
            return [.show(state.index - 1)]
        case .character("g"):
            return [.show(0)]
        case .character("G"):
            return [.show(max(0, state.items.count - 1))]
        case .character("t"), .character("/"):
            guard state.current != nil else { return [] }
            return openPicker(&state, .labelCurrent)
        case .character("x"):
            guard state.current != nil else { return [] }
            state.message = "skipped (left unlabelled)"
            return [.show(next(state))]
        case .enter, .character("a"):
            guard let item = state.current else { return [] }
            guard let name = item.modelClass ?? item.label else {
                state.message = "no prediction to accept: press t to pick a class, or 1–9 for a neighbour's"
                return []
            }
            return [.label(item.imageID, className: name, status: .validated, thenIndex: next(state))]
        case .character("d"):
            guard let item = state.current, let name = item.label ?? item.modelClass else {
                state.message = "dubious needs a class: press t first"
                return []
            }
            return [.label(item.imageID, className: name, status: .dubious, thenIndex: next(state))]
        case .character(let c) where ("1"..."9").contains(c):
            guard let item = state.current, let k = c.wholeNumberValue else { return [] }
            guard k <= item.neighbors.count, let name = item.neighbors[k - 1].offeredClass else {
                state.message = "neighbour \(k) has no label or prediction"
                return []
            }
            return [.label(item.imageID, className: name, status: .validated, thenIndex: next(state))]
        default:
            return []
        }
    }

    /// The neighbour strip's keys: h/l move, Space selects, V selects a range, A gives the current image's
    /// class to the selection. nil for any other key.
    static func neighbours(_ state: inout LabelingState, _ key: Key) -> [Effect]? {
        switch key {
        case .character("h"), .left:
            guard let item = state.current, !item.neighbors.isEmpty else { return [] }
            state.neighborCursor = max(0, state.neighborCursor - 1)
            return [.redraw]
        case .character("l"), .right:
            guard let item = state.current, !item.neighbors.isEmpty else { return [] }
            state.neighborCursor = min(item.neighbors.count - 1, state.neighborCursor + 1)
            return [.redraw]
        case .character(" "):
            guard let item = state.current, item.neighbors.indices.contains(state.neighborCursor) else { return [] }
            if state.selected.contains(state.neighborCursor) {
                state.selected.remove(state.neighborCursor)
            } else {
                state.selected.insert(state.neighborCursor)
            }
            state.selectionAnchor = state.neighborCursor
            state.message = "\(state.selected.count) neighbours selected (A assigns)"
            return [.redraw]
        case .character("V"):
            guard let item = state.current, !item.neighbors.isEmpty else { return [] }
            let anchor = state.selectionAnchor ?? 0
            for i in min(anchor, state.neighborCursor)...max(anchor, state.neighborCursor) { state.selected.insert(i) }
            state.message = "\(state.selected.count) neighbours selected (A assigns)"
            return [.redraw]
        case .character("A"):
            guard let item = state.current else { return [] }
            guard !state.selected.isEmpty else {
                state.message = "select neighbours first: h/l move, Space selects, V selects a range"
                return []
            }
            guard let name = item.label ?? item.modelClass else {
                state.message = "the current image has no label or prediction to give: press t first"
                return []
            }
            let targets = state.selected.sorted().filter { item.neighbors.indices.contains($0) }.map {
                item.neighbors[$0].imageID
            }
            state.selected = []
            state.selectionAnchor = nil
            return [.labelMany(targets, className: name, status: .validated)]
        default:
            return nil
        }
    }

    static func picker(_ state: inout LabelingState, _ typed: String, _ key: Key) -> [Effect] {
        switch key {
        case .escape:
            state.mode = .normal
            state.pickerPurpose = .labelCurrent
            return [.redraw]
        case .backspace:
            state.mode = .picker(String(typed.dropLast()))
            return [.redraw]
        case .enter:
            state.mode = .normal
            let purpose = state.pickerPurpose
            state.pickerPurpose = .labelCurrent
            // A name that is no existing class is a new class, typed exactly.
            let name = purpose.takesTypedText ? typed : (state.matches(typed).first ?? typed)
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { return [.redraw] }
            switch purpose {
            case .labelCurrent:
                guard let item = state.current else { return [] }
                return [.label(item.imageID, className: name, status: .validated, thenIndex: next(state))]
            case .relabelSelected:
                let changes = state.grid.targets.map { LabelChange(state.grid.items[$0], name) }
                state.grid.selected = []
                return changes.isEmpty ? [] : [.labelEach(changes, status: .validated)]
            case .filterGrid:
                guard state.classNames.contains(name) else {
                    state.message = "no class \(name)"
                    return [.redraw]
                }
                return [.loadGrid(.predicted(name))]
            case .mergeInto(let source):
                return [.mergeClass(source, into: name)]
            case .rename(let old):
                return [.renameClass(old, to: name)]
            case .addClass:
                return [.addClass(name)]
            }
        case .character(let c) where !c.isNewline:
            state.mode = .picker(typed + String(c))
            return [.redraw]
        case .paste(let text):
            state.mode = .picker(typed + Key.pastedText(text))
            return [.redraw]
        case .resize, .control("l"):
            return [.redraw]
        default:
            return []
        }
    }
}

// MARK: - The command line, the Grid, Classes and Jobs

extension LabelingReducer {
    static func commandLine(_ state: inout LabelingState, _ typed: String, _ key: Key) -> [Effect] {
        switch key {
        case .escape:
            state.mode = .normal
            return [.redraw]
        case .backspace:
            state.mode = typed.isEmpty ? .normal : .command(String(typed.dropLast()))
            return [.redraw]
        case .enter:
            state.mode = .normal
            let text = typed.trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? [.redraw] : [.command(text)]
        case .character(let c) where !c.isNewline:
            state.mode = .command(typed + String(c))
            return [.redraw]
        case .paste(let text):
            state.mode = .command(typed + Key.pastedText(text))
            return [.redraw]
        case .resize, .control("l"):
            return [.redraw]
        default:
            return []
        }
    }

    static func grid(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        var g = state.grid
        defer { state.grid = g }
        switch key {
        case .character("h"), .left: g.move(to: g.cursor - 1)
        case .character("l"), .right: g.move(to: g.cursor + 1)
        case .character("j"), .down: g.move(to: g.cursor + g.columns)
        case .character("k"), .up: g.move(to: g.cursor - g.columns)
        case .character("n"): g.move(to: g.cursor + g.pageSize)
        case .character("N"): g.move(to: g.cursor - g.pageSize)
        case .character("g"): g.move(to: 0)
        case .character("G"): g.move(to: g.items.count - 1)
        case .character("z"): toggleSizeTrue(&state)
        case .character(" "):
            guard g.items.indices.contains(g.cursor) else { return [] }
            if g.selected.contains(g.cursor) { g.selected.remove(g.cursor) } else { g.selected.insert(g.cursor) }
            g.anchor = g.cursor
            g.move(to: g.cursor + 1)
            state.message = "\(g.selected.count) selected (a validates, t relabels)"
        case .character("V"):
            guard !g.items.isEmpty else { return [] }
            let anchor = g.anchor ?? g.cursor
            for i in min(anchor, g.cursor)...max(anchor, g.cursor) { g.selected.insert(i) }
            state.message = "\(g.selected.count) selected (a validates, t relabels)"
        case .character("*"):
            let page = Set(g.visible)
            if page.isSubset(of: g.selected) { g.selected.subtract(page) } else { g.selected.formUnion(page) }
            state.message = "\(g.selected.count) selected (a validates, t relabels)"
        case .escape:
            g.selected = []
            g.anchor = nil
        case .enter, .character("a"), .character("d"):
            let status: LabelStatus = key == .character("d") ? .dubious : .validated
            let targets = g.targets
            let changes = targets.compactMap { i in
                g.tiles[g.items[i]]?.offeredClass.map { LabelChange(g.items[i], $0) }
            }
            guard !changes.isEmpty else {
                state.message =
                    "nothing to \(status == .dubious ? "mark" : "validate"): no prediction here — press t to pick a class"
                return []
            }
            if changes.count < targets.count {
                state.message = "\(targets.count - changes.count) without a prediction left out"
            }
            g.selected = []
            g.anchor = nil
            return [.labelEach(changes, status: status)]
        case .character("t"), .character("/"):
            guard !g.targets.isEmpty else { return [] }
            return openPicker(&state, .relabelSelected)
        case .character("f"):
            return openPicker(&state, .filterGrid)
        case .character("F"):
            return [.loadGrid(.queue)]
        case .character("o"):
            guard g.items.indices.contains(g.cursor) else { return [] }
            return [.open(g.items[g.cursor])]
        default:
            return []
        }
        return [.redraw]
    }

    static func classes(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        let rows = state.classes.rows
        let current = rows.indices.contains(state.classes.cursor) ? rows[state.classes.cursor].name : nil
        switch key {
        case .character("j"), .down: state.classes.cursor = min(max(0, rows.count - 1), state.classes.cursor + 1)
        case .character("k"), .up: state.classes.cursor = max(0, state.classes.cursor - 1)
        case .character("g"): state.classes.cursor = 0
        case .character("G"): state.classes.cursor = max(0, rows.count - 1)
        case .enter:
            guard let current else { return [] }
            return [.loadGrid(.predicted(current))]
        case .character("v"):
            guard let current else { return [] }
            return [.loadGrid(.labelled(current))]
        case .character("r"):
            guard let current else { return [] }
            return openPicker(&state, .rename(current))
        case .character("m"):
            guard let current else { return [] }
            return openPicker(&state, .mergeInto(current))
        case .character("+"), .character("a"):
            return openPicker(&state, .addClass)
        default:
            return []
        }
        return [.redraw]
    }

    static func jobs(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        let jobs = state.jobs.jobs
        switch key {
        case .character("j"), .down: state.jobs.cursor = min(max(0, jobs.count - 1), state.jobs.cursor + 1)
        case .character("k"), .up: state.jobs.cursor = max(0, state.jobs.cursor - 1)
        case .character("c"):
            guard jobs.indices.contains(state.jobs.cursor) else { return [] }
            return [.cancelJob(jobs[state.jobs.cursor].id)]
        case .character("r"):
            guard jobs.indices.contains(state.jobs.cursor) else { return [] }
            return [.retryJob(jobs[state.jobs.cursor].id)]
        default:
            return []
        }
        return [.redraw]
    }
}
