import Foundation
import Labeling
import Learning
import PlanktermCore
import Project
import TUI
import Terminal

/// Runs the labeling screen: keys → reducer → effects (one database transaction per label) → render →
/// terminal. Curses and every label write stay on this thread; a key is read only after the previous
/// one's label is committed, so at most the keystroke in flight can be lost. Training jobs run on a
/// second thread (`JobRunner`), which shares nothing with this one but the database and a `JobBoard`.
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

    static func run(
        project: ProjectHandle, imagesRoot: String, settings: LabelScreenSettings,
        strategy: QueryStrategy
    ) throws -> Outcome {
        let loop = try LabelScreenLoop(project: project, imagesRoot: imagesRoot, settings: settings, strategy: strategy)
        defer { loop.driver.end() }
        return loop.run()
    }
}
