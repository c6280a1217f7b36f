import PlanktermCore

/// What the shell must do after a key: database writes, loading another image, quitting.
public enum Effect: Sendable, Equatable {
    /// Label (or with nil, withdraw the label of) an image, in one transaction, then show `thenIndex`.
    case label(ImageID, className: String?, status: LabelStatus, thenIndex: Int)
    /// Give several images one class in one transaction (a bulk assignment); stay on the current image.
    case labelMany([ImageID], className: String, status: LabelStatus)
    case undo
    case redo
    /// Show the item at this queue position.
    case show(Int)
    case redraw
    case quit
}

/// Turns a key into state changes and effects (UX.md "Keys"). Pure: the tests drive it with key scripts.
public enum LabelingReducer {
    public static func reduce(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        switch state.mode {
        case .help:
            state.mode = .normal
            return [.redraw]
        case .picker(let typed):
            return picker(&state, typed, key)
        case .normal:
            return normal(&state, key)
        }
    }

    static func next(_ state: LabelingState) -> Int { min(state.index + 1, max(0, state.items.count - 1)) }

    static func normal(_ state: inout LabelingState, _ key: Key) -> [Effect] {
        switch key {
        case .character("q"):
            state.quit = true
            return [.quit]
        case .control("l"), .resize:
            return [.redraw]
        case .character("?"):
            state.mode = .help
            return [.redraw]
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
            if state.selected.contains(state.neighborCursor) { state.selected.remove(state.neighborCursor) } else {
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
            guard let name = item.label ?? item.guesses.first?.name else {
                state.message = "the current image has no label or prediction to give: press t first"
                return []
            }
            let targets = state.selected.sorted().filter { item.neighbors.indices.contains($0) }.map { item.neighbors[$0].imageID }
            state.selected = []
            state.selectionAnchor = nil
            return [.labelMany(targets, className: name, status: .validated)]
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
        case .character("u"):
            return [.undo]
        case .control("r"):
            return [.redo]
        case .character("t"), .character("/"):
            guard state.current != nil else { return [] }
            state.mode = .picker("")
            return [.redraw]
        case .character("x"):
            guard state.current != nil else { return [] }
            state.message = "skipped (left unlabelled)"
            return [.show(next(state))]
        case .enter, .character("a"):
            guard let item = state.current else { return [] }
            guard let name = item.guesses.first?.name ?? item.label else {
                state.message = "no prediction to accept: press t to pick a class, or 1–9 for a neighbour's"
                return []
            }
            return [.label(item.imageID, className: name, status: .validated, thenIndex: next(state))]
        case .character("d"):
            guard let item = state.current, let name = item.label ?? item.guesses.first?.name else {
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

    static func picker(_ state: inout LabelingState, _ typed: String, _ key: Key) -> [Effect] {
        switch key {
        case .escape:
            state.mode = .normal
            return [.redraw]
        case .backspace:
            state.mode = .picker(String(typed.dropLast()))
            return [.redraw]
        case .enter:
            state.mode = .normal
            guard let item = state.current else { return [] }
            // A name that is no existing class is a new class, typed exactly.
            let name = state.matches(typed).first ?? typed
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { return [.redraw] }
            return [.label(item.imageID, className: name, status: .validated, thenIndex: next(state))]
        case .character(let c) where !c.isNewline:
            state.mode = .picker(typed + String(c))
            return [.redraw]
        case .resize, .control("l"):
            return [.redraw]
        default:
            return []
        }
    }
}

import Foundation
