import Foundation
import PlanktermCore
import Store

/// Training a classifier as `plankterm train`, the demo and `train` jobs run it: the head the parameters
/// name is fitted on the validated labels, calibrated, and installed with a prediction for every embedded
/// image (`ClassifierRun`). Embeddings that are missing are the caller's to add first
/// (`EmbedWorkflow.ensure`): a job trains on what is embedded.
public enum TrainWorkflow {
    /// Trains with `parameters` (defaults filled in), the k-NN search on `threads` threads; `progress`
    /// sees each stage and the share done (a throw from it stops the run, and nothing is installed).
    public static func run(
        project: ProjectHandle, parameters: TrainJobParameters, threads: Int,
        progress: (String, Double) throws -> Void = { _, _ in }
    ) throws -> TrainReport {
        try ClassifierRun(project: project).train(parameters.settings(threads: threads), progress: progress)
    }
}
