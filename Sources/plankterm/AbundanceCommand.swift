import ArgumentParser
import Foundation
import Project

struct AbundanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abundance",
        abstract: "Estimate how many images of each class every sample holds.",
        discussion: """
            Groups the images by folder (default) or by a metadata column imported with the labels (--by \
            station, --by sample…). For each group and class: classify-and-count (argmax), the expected count \
            (sum of calibrated probabilities), the adjusted count (classify-and-count corrected with the \
            model's out-of-fold confusion) and the EM estimate corrected for the group's own class mix, \
            the last two with 95 % intervals: each estimator is run on simulated samples of the model's \
            held-out labelled images near the group's mix, and its errors there (bias as well as noise) \
            set the interval; a class estimated under 20 images has an upper bound of at least its \
            detection limit (how many could hide behind its predictions, given its held-out recall). \
            Intervals and EM are not computed for groups under 200 \
            images. --json prints one object: model_id, grouped_by, groups: [{name, images, refused, \
            classes: [{name, validated, classify_and_count, expected, adjusted, adjusted_lower, \
            adjusted_upper, corrected, lower, upper}]}].
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: ArgumentHelp("folder, or the name of an imported metadata column.", valueName: "folder|COLUMN"))
    var by = AbundanceJobParameters.defaultGrouping
    @Option(help: "Simulated samples (bootstrap replicates) for the intervals.")
    var bootstrap = AbundanceWorkflow.defaultBootstrap
    @Option(help: "Seed for the bootstrap.") var seed: UInt64 = AbundanceWorkflow.defaultSeed
    @Flag(help: "List every class, not only those with a count of at least 0.5.") var all = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let report = try AbundanceWorkflow.run(
            project: handle, parameters: AbundanceJobParameters(by: by), bootstrap: bootstrap, seed: seed)
        if json {
            print(try JSONOutput.string(report))
            return
        }
        print("model \(report.modelId), grouped by \(Console.oneLine(by))")
        for group in report.groups {
            print("")
            print(
                "\(Console.oneLine(group.name)): \(group.images) images"
                    + (group.refused.map { " — EM not run: \($0)" } ?? ""))
            print(Self.header)
            let shown = group.classes.filter {
                all || max($0.classifyAndCount, $0.expected, $0.adjusted ?? 0, $0.corrected ?? 0) >= 0.5
            }
            for row in shown.sorted(by: { ($0.corrected ?? $0.expected) > ($1.corrected ?? $1.expected) }) {
                print(Self.line(row))
            }
        }
    }

    /// The column heads of the text table: counted (argmax), expected (Σ p), adjusted (ACC) and EM, the
    /// last two with their 95 % intervals.
    static let header =
        "  " + "class".padding(toLength: 40, withPad: " ", startingAt: 0) + "  counted  expected  "
        + "adjusted (95 %)".padding(toLength: 21, withPad: " ", startingAt: 0) + "  EM (95 %)"

    /// One class of a group; an estimate that was not made (too few images, no out-of-fold record) is blank.
    static func line(_ row: AbundanceReport.ClassRow) -> String {
        let name = Console.oneLine(row.name)
        let padded =
            name.count >= 40 ? String(name.prefix(39)) + "…" : name.padding(toLength: 40, withPad: " ", startingAt: 0)
        func estimate(_ value: Double?, _ lower: Double?, _ upper: Double?) -> String {
            guard let value else { return String(repeating: " ", count: 21) }
            let interval = lower.flatMap { lo in upper.map { hi in String(format: "(%.0f–%.0f)", lo, hi) } } ?? ""
            return String(format: "%7.1f ", value) + interval.padding(toLength: 13, withPad: " ", startingAt: 0)
        }
        let line =
            "  \(padded) " + String(format: "%8.0f  %8.1f  ", row.classifyAndCount, row.expected)
            + estimate(row.adjusted, row.adjustedLower, row.adjustedUpper) + "  "
            + estimate(row.corrected, row.lower, row.upper)
        return String(line.reversed().drop { $0 == " " }.reversed())
    }
}
