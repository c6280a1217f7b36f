import Foundation
import PlanktermCore

/// One run of the labeling screen: read a key → reduce → run its effects → render, on one thread, until
/// the screen is left. A key is read only after the previous one's label is committed, so at most the
/// keystroke in flight can be lost. Between keys it polls for a new model (once a second by `clock`),
/// shows the job thread's line and fires the idle training trigger.
public struct LabelingLoop<Terminal: LabelingTerminal> {
    public var runtime: LabelingRuntime
    public let terminal: Terminal
    public let view: LabelingView<Terminal.Frame>
    public let jobs: JobLink
    /// Where the loop's time comes from (the model poll; the triggers and jobs have the same clock).
    let clock: any Clock
    var lastModelCheck: Date

    /// What a session did: labels given, and the job left queued for `plankterm worker` (training on the
    /// labels given, or the job the thread was running when the screen closed).
    public struct Outcome: Sendable, Equatable {
        public var labelled: Int
        public var queuedJob: Int64?
    }

    public init(
        runtime: LabelingRuntime, terminal: Terminal, view: LabelingView<Terminal.Frame>, jobs: JobLink,
        clock: any Clock
    ) {
        self.runtime = runtime
        self.terminal = terminal
        self.view = view
        self.jobs = jobs
        self.clock = clock
        lastModelCheck = clock.now()
    }

    /// Reads keys until the screen is left (q, Ctrl-C, `:quit`, a stop signal), then stops the job thread
    /// and says what the session did.
    public mutating func run() -> Outcome {
        draw()
        while !runtime.state.quit && !terminal.stopRequested {
            let key = terminal.readKey(timeout: 250)
            // The idle trigger: labels given, then no key for a while (a coffee): train on them now.
            if key == nil, runtime.noKey() { draw() }
            if key != nil { runtime.trigger.keyPressed() }
            let jobLine = jobs.line()
            if jobLine != runtime.state.jobLine {
                runtime.state.jobLine = jobLine
                if key == nil { draw() }
            }
            pollModel()
            guard let key else { continue }
            if key == .control("c") { break }
            let size = terminal.size
            if !view.fits(size.width, size.height) {
                // The screen shows only "window too small": a key's result would not be seen, so none is
                // taken but quitting and redrawing.
                if key == .character("q") { break }
                if key == .resize || key == .control("l") {
                    terminal.invalidate()
                    draw()
                }
                continue
            }
            if runtime.send(key).contains(.redraw), key == .control("l") || key == .resize {
                terminal.invalidate()
            }
            draw()
        }
        return leave()
    }

    /// Leaving: stops the job thread (a job it was running is queued again for the next process), or
    /// queues training when labels were given since the last training, for `plankterm worker`.
    func leave() -> Outcome {
        let queued: Int64? =
            switch jobs.stop() {
            case .interrupted(let requeued): requeued
            case .idle: runtime.queueTrainingOnLeaving()
            }
        return Outcome(labelled: runtime.state.labelled, queuedJob: queued)
    }

    /// Once a second: the Jobs screen's jobs, and a model that became current since the last look.
    mutating func pollModel() {
        let now = clock.now()
        guard now.timeIntervalSince(lastModelCheck) >= 1 else { return }
        lastModelCheck = now
        if runtime.refreshJobs() { draw() }
        if runtime.adoptNewModel() { draw() }
    }

    /// Renders the state at the terminal's size and draws it.
    mutating func draw() {
        let size = terminal.size
        let layout = view.gridLayout(size.width, size.height)
        runtime.prepareFrame(columns: layout.columns, rows: layout.rows, pixels: terminal.drawsPixels)
        terminal.draw(view.render(runtime.state, size.width, size.height))
    }
}
