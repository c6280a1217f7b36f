import Foundation
import Labeling
import Learning
import PlanktermCore
import Project
import Store
import Terminal
import TUI

/// Runs the labeling screen: keys → reducer → effects (one database transaction per label) → render →
/// terminal. Everything happens on this thread; a key is read only after the previous one's label is
/// committed, so at most the keystroke in flight can be lost.
enum LabelScreenShell {
    static func run(store: ProjectStore, imagesRoot: String, settings: LabelScreenSettings,
                    strategy: QueryStrategy) throws -> Int {
        let annotator = settings.annotator
        let session = try LabelingSession(store: store, imagesRoot: imagesRoot, strategy: strategy)
        let driver = try TerminalDriver(depth: settings.depth, theme: settings.theme)
        defer { driver.end() }
        var state = LabelingState(project: store.directory, queueName: session.queueName, items: session.queue,
                                  classNames: session.classNames, modelId: session.modelId)
        state.current = session.item(at: 0)
        let screen = LabelScreen(blitter: HalfBlockBlitter(depth: driver.depth, asciiOnly: !driver.unicode))
        func draw() {
            let size = driver.size
            driver.draw(screen.render(state, width: size.width, height: size.height))
        }
        func show(_ index: Int) {
            state.index = max(0, min(index, max(0, state.items.count - 1)))
            state.current = session.item(at: state.index)
            state.selected = []
            state.neighborCursor = 0
        }
        /// After undo or redo: show the image it changed (in the queue if it is there).
        func showChanged(_ id: ImageID?, done: String, nothing: String) {
            guard let id else { state.message = nothing; return }
            if let i = state.items.firstIndex(of: id) { show(i) } else { state.current = session.item(id) }
            state.message = done
        }
        draw()
        while !state.quit && !driver.stopRequested {
            guard let key = driver.readKey(timeout: 250) else { continue }
            if key == .control("c") { break }
            state.message = ""
            for effect in LabelingReducer.reduce(&state, key) {
                do {
                    switch effect {
                    case .label(let id, let className, let status, let thenIndex):
                        try session.label(id, className: className, status: status, annotator: annotator)
                        state.labelled += 1
                        state.classNames = session.classNames
                        state.message = "\(status == .dubious ? "dubious" : "labelled") \(className ?? "-"): "
                            + (session.item(id)?.path ?? "")
                        show(thenIndex)
                    case .labelMany(let ids, let className, let status):
                        try session.label(ids, className: className, status: status, annotator: annotator)
                        state.labelled += ids.count
                        state.message = "assigned \(className) to \(ids.count) neighbours"
                        state.current = state.current.flatMap { session.item($0.imageID) }
                    case .undo:
                        showChanged(try session.undo(annotator: annotator), done: "undone", nothing: "nothing to undo")
                    case .redo:
                        showChanged(try session.redo(annotator: annotator), done: "redone", nothing: "nothing to redo")
                    case .show(let index):
                        show(index)
                    case .redraw:
                        if key == .control("l") || key == .resize { driver.invalidate() }
                    case .quit:
                        break
                    }
                } catch {
                    state.message = "not saved: \(error)"
                }
            }
            draw()
        }
        return state.labelled
    }
}
