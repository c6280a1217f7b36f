import ArgumentParser
import Foundation
import Project

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the current classifier against ground-truth labels.",
        discussion: """
            --truth is a label file (CSV or EcoTaxa TSV, as for import) or a folder with one sub-folder per \
            class. Images with a validated label in the project were used for training and are left out \
            unless --include-labelled. The classes scored are the model's calls, the class it assigns to each \
            image (shown, reviewed by class and exported): made with every class equally likely (the \
            rare-class view), which is what balanced accuracy rewards. Beside them, sample_call scores the \
            most probable class in this sample (argmax of the shown probabilities), which is what accuracy \
            rewards. The probabilities measured are the ones plankterm shows (calibrated, corrected to the \
            estimated class mix: expected in this sample); before_prior_correction has the balanced ones. \
            --json prints one object with accuracy, balanced_accuracy, macro_f1 and confusion (of the call, \
            rows the true class, columns the call, in the order of classes), sample_call (accuracy, \
            balanced_accuracy, macro_f1), nll, brier, ece (15 bins), ece_20, classwise_ece, n, reliability, \
            unmatched, unpredicted and unknown_classes.
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: ArgumentHelp("Ground truth: a label file or a folder of class folders.", valueName: "FILE"))
    var truth: String
    @Flag(help: "Also score the images the model was trained on.") var includeLabelled = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let root = try handle.imagesRoot()
        let (labels, unmatched) = try TruthLabels.read(truth, project: handle, imagesRoot: root)
        let report = try Evaluation(project: handle).run(
            truth: labels, unmatched: unmatched, includeLabelled: includeLabelled)
        if json {
            print(try JSONOutput.string(report))
            return
        }
        func pct(_ v: Double) -> String { String(format: "%.1f %%", v * 100) }
        print("model \(report.modelId) on \(report.n) images\(includeLabelled ? "" : " (training labels left out)")")
        print(
            "the model's call (rare-class view): balanced accuracy \(pct(report.balancedAccuracy))  accuracy "
                + "\(pct(report.accuracy))  macro-F1 \(String(format: "%.3f", report.macroF1))")
        print(
            "most probable in this sample:      balanced accuracy \(pct(report.sampleCall.balancedAccuracy))  accuracy "
                + "\(pct(report.sampleCall.accuracy))  macro-F1 \(String(format: "%.3f", report.sampleCall.macroF1))")
        print(
            String(
                format:
                    "shown probabilities (expected in this sample): NLL %.3f  Brier %.3f  ECE %.3f (15 bins), %.3f (20 bins)  classwise ECE %.4f",
                report.nll, report.brier, report.ece, report.ece20, report.classwiseECE))
        print(
            String(
                format: "before prior correction: accuracy %.1f %%, ECE %.3f",
                report.beforePriorCorrection.accuracy * 100, report.beforePriorCorrection.ece15))
        print("reliability (confidence → accuracy, images):")
        for bin in report.reliability where bin.count > 0 {
            print(
                String(
                    format: "  %.2f–%.2f  %.2f → %.2f  %d", bin.lower, bin.upper, bin.confidence, bin.accuracy,
                    bin.count))
        }
        if report.unmatched > 0 { print("\(report.unmatched) truth entries match no image of the project") }
        if report.unpredicted > 0 {
            print("\(report.unpredicted) truth images have no prediction (run 'plankterm train')")
        }
        if !report.unknownClasses.isEmpty {
            print(
                "classes the model has no label for (counted as errors): "
                    + report.unknownClasses.map(Console.oneLine).joined(separator: ", "))
        }
    }
}
