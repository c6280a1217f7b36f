import Foundation
import Labeling
import Learning
import PlanktermCore
import Project
import TUI
import Terminal

/// Runs the labeling screen: wires the live labeling session, project, job thread and ncurses driver
/// into `Labeling`'s loop (keys → reducer → effects, one database transaction per label → render →
/// terminal). Curses and every label write stay on this thread; training jobs run on a second thread
/// (`JobRunner`), which shares nothing with this one but the database and a `JobBoard`.
enum LabelScreenShell {
    /// What a session did: labels given, and the training job left queued for `plankterm worker`.
    struct Outcome {
        var labelled: Int
        var queuedJob: Int64?

        /// The lines printed after the screen closes.
        func summary(project: String) -> String {
            "\(labelled) labels given; every one is saved"
                + (queuedJob.map {
                    "\ntraining on the new labels is queued (job \($0)): plankterm worker \(Console.oneLine(project)) runs it"
                } ?? "")
        }
    }

    /// Loads the session, takes over the terminal (given back on every way out) and, when asked, starts
    /// the job thread; returns when the screen is left.
    static func run(
        project handle: ProjectHandle, imagesRoot: String, settings: LabelScreenSettings,
        strategy: QueryStrategy, clock: any Clock = SystemClock()
    ) throws -> Outcome {
        let session = try LabelingSession(project: handle, imagesRoot: imagesRoot, strategy: strategy)
        let driver = try TerminalDriver(depth: settings.depth, theme: settings.theme, graphics: settings.graphics)
        defer { driver.end() }
        let live = environment(
            project: handle, imagesRoot: imagesRoot, session: session, settings: settings, clock: clock)
        var state = LabelingState(project: handle.directory, queue: live.queue())
        state.current = session.item(at: 0)
        var screen = LabelScreen(
            blitter: settings.quadrants
                ? QuadrantBlitter(depth: driver.depth, asciiOnly: !driver.unicode) as any Blitter
                : HalfBlockBlitter(depth: driver.depth, asciiOnly: !driver.unicode),
            cellPixels: driver.graphics.cellPixels, pixelSizeMicrometres: settings.pixelSizeMicrometres)
        screen.imagesLine = driver.graphics.summary
        let board = JobBoard()
        if settings.runJobs { _ = JobThread.start(project: handle, imagesRoot: imagesRoot, board: board) }
        let runtime = LabelingRuntime(
            state: state, trigger: TrainingTrigger(every: settings.trainEvery, idle: settings.trainIdle, clock: clock),
            environment: live)
        var loop = LabelingLoop(
            runtime: runtime, terminal: driver, view: screen.labelingView, jobs: jobLink(board, project: handle),
            clock: clock)
        let outcome = loop.run()
        return Outcome(labelled: outcome.labelled, queuedJob: outcome.queuedJob)
    }

    /// The loop's view of the job thread: its line, and stopping it (the job it was running is queued
    /// again for the next process).
    static func jobLink(_ board: JobBoard, project handle: ProjectHandle) -> JobLink {
        JobLink(
            line: { board.line },
            stop: {
                board.stop = true
                guard let running = board.running else { return .idle }
                return .interrupted(
                    requeuedAs: try? handle.requeueInterrupted(
                        job: running, reason: "the labeling screen closed while it ran"))
            })
    }
}
