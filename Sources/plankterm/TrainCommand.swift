import ArgumentParser
import Foundation
import Learning
import Linalg
import Project

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a classifier on the validated labels, calibrate it and predict every image.",
        discussion: """
            The head (knn, linear or mlp) is fitted on the embeddings of the validated images, class-balanced \
            (π_train uniform). Calibration is fitted on k-fold out-of-fold predictions: bias-corrected \
            temperature scaling by default (a temperature and a per-class bias), or --calibration temperature. \
            Every embedded image is then predicted; the shown probabilities are corrected to the project's class \
            mix as estimated by EM (with plain temperature scaling the EM estimate can drift to a few classes), \
            and the top class's probability is then mapped to how often such a top class is right (a top-label \
            map fitted on the out-of-fold labels, weighted to that mix). \
            The class each image is given (its call: shown, reviewed by class, exported and scored by eval) is \
            the most probable with every class equally likely, so that rare classes are called. The new model version \
            and all its predictions become current in one transaction, so a failed or interrupted run leaves \
            the previous model in place. Missing embeddings are computed first (as 'plankterm embed'). \
            --json prints one object: model_id, head, labels_used, classes, images_predicted, oof_accuracy, \
            oof_balanced_accuracy, ece_before, ece_after, temperature, folds, seconds, prior_correction \
            (em, or mean-posterior when EM estimates the known class mix of the out-of-fold labels worse than \
            the mean posterior does).
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: "The classifier head: knn, linear or mlp.") var head: String = TrainJobParameters.defaultHead.rawValue
    @Option(help: "Calibration: bcts (temperature and per-class bias), temperature or none.") var calibration: String =
        TrainJobParameters.defaultCalibration.rawValue
    @Option(help: "Folds for the out-of-fold calibration set.") var folds = TrainJobParameters.defaultFolds
    @Option(help: "Seed for folds and the MLP.") var seed: UInt64 = TrainJobParameters.defaultSeed
    @Option(help: "Threads for OpenBLAS and the k-NN search.") var threads = 2
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(
        help:
            "Queue the training as a background job (run by an open labeling screen or 'plankterm worker') instead of running it now."
    )
    var queue = false
    @Flag(
        help:
            "Queue a partial fine-tune of the encoder's last stage with the validated labels (slow: for the night); the worker then re-embeds every image and trains the head again."
    )
    var finetune = false
    @Option(help: "Epochs of the fine-tune (with --finetune; more than 1 overfitted 20 labels a class).")
    var epochs = FineTuneJobParameters.defaultEpochs

    func run() throws {
        guard let kind = HeadKind(rawValue: head) else {
            throw ValidationError("--head must be knn, linear or mlp, not '\(head)'")
        }
        guard let method = Calibration.Method(rawValue: calibration) else {
            throw ValidationError("--calibration must be temperature, bcts or none, not '\(calibration)'")
        }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2") }
        let handle = try ProjectHandle.open(at: project)
        if finetune {
            guard epochs > 0 else { throw ValidationError("--epochs must be positive") }
            let id = try handle.enqueue(.finetune(FineTuneJobParameters(epochs: epochs, seed: seed)), time: Date())
            print(
                json
                    ? "{\"job\":\(id)}"
                    : "fine-tuning queued as job \(id): plankterm worker \(Console.oneLine(project)) runs it")
            return
        }
        if queue {
            let parameters = TrainJobParameters(
                head: kind, reason: "plankterm train --queue", calibration: method,
                folds: folds, seed: seed)
            let id = try handle.enqueue(.train(parameters), time: Date())
            print(json ? "{\"job\":\(id)}" : "training queued as job \(id)")
            return
        }
        Gemm.setThreads(threads)
        try EmbedCommand.ensure(project: handle, quiet: json, threads: threads)
        let tty = Console.stderrIsTTY && !json
        let parameters = TrainJobParameters(
            head: kind, reason: "plankterm train", calibration: method, folds: folds, seed: seed)
        let report = try TrainWorkflow.run(project: handle, parameters: parameters, threads: threads) { stage, _ in
            if tty { FileHandle.standardError.write(Data("\r\u{1B}[K\(stage)…".utf8)) }
        }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if json {
            print(try JSONOutput.string(report))
            return
        }
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a" }
        func num(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        print(
            "model \(report.modelId): \(report.head) head on \(report.labelsUsed) labels of \(report.classes) classes, "
                + "\(report.imagesPredicted) images predicted in \(String(format: "%.1f", report.seconds)) s")
        print(
            "out-of-fold (\(report.folds) folds): accuracy \(pct(report.outOfFoldAccuracy)), balanced accuracy "
                + "\(pct(report.outOfFoldBalancedAccuracy)), ECE \(num(report.eceBefore)) → \(num(report.eceAfter)) "
                + "after temperature \(String(format: "%.3f", report.temperature))")
        print(
            report.priorCorrection == "em"
                ? "shown probabilities corrected to the project's class mix estimated by EM"
                : "shown probabilities corrected to the mean posterior (EM failed its check on the labelled images: "
                    + "it estimated their known mix worse than the mean posterior did)")
    }
}

/// JSON for `--json` outputs: sorted keys, one line.
enum JSONOutput {
    static func string(_ value: some Encodable) throws -> String { try ClassifierRun.json(value) }
}
