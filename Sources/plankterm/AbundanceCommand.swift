import ArgumentParser
import Foundation
import Project
import Store

struct AbundanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abundance",
        abstract: "Estimate how many images of each class every sample holds.",
        discussion: """
            Groups the images by folder (default) or by a metadata column imported with the labels (--by \
            station, --by sample…). For each group and class: classify-and-count (argmax), the expected count \
            (sum of calibrated probabilities) and the EM estimate corrected for the group's own class mix \
            with a 95 % bootstrap interval. EM is refused for groups under 200 images. --json prints one \
            object: model_id, grouped_by, groups: [{name, images, refused, classes: [{name, validated, \
            classify_and_count, expected, corrected, lower, upper}]}].
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: ArgumentHelp("folder, or the name of an imported metadata column.", valueName: "folder|COLUMN")) var by = "folder"
    @Option(help: "Bootstrap resamples for the interval.") var bootstrap = 100
    @Option(help: "Seed for the bootstrap.") var seed: UInt64 = 0
    @Flag(help: "List every class, not only those with a count of at least 0.5.") var all = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let store = try ProjectStore.open(at: project)
        let report = try AbundanceReport.build(store: store, by: by, bootstrap: bootstrap, seed: seed)
        if json {
            print(try JSONOutput.string(report))
            return
        }
        print("model \(report.modelId), grouped by \(Console.oneLine(by))")
        for group in report.groups {
            print("")
            print("\(Console.oneLine(group.name)): \(group.images) images" + (group.refused.map { " — EM not run: \($0)" } ?? ""))
            print("  class                                     counted  expected  EM-corrected (95 % interval)")
            let shown = group.classes.filter { all || max($0.classifyAndCount, $0.expected, $0.corrected ?? 0) >= 0.5 }
            for row in shown.sorted(by: { ($0.corrected ?? $0.expected) > ($1.corrected ?? $1.expected) }) {
                let name = Console.oneLine(row.name)
                let padded = name.count >= 40 ? String(name.prefix(39)) + "…" : name.padding(toLength: 40, withPad: " ", startingAt: 0)
                var line = "  \(padded) " + String(format: "%8.0f  %8.1f", row.classifyAndCount, row.expected)
                if let c = row.corrected, let lo = row.lower, let hi = row.upper {
                    line += String(format: "  %8.1f (%.1f–%.1f)", c, lo, hi)
                }
                print(line)
            }
        }
    }
}
