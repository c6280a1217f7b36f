import ArgumentParser
import Foundation
import Project

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the classifier versions, make an earlier one current again, or delete old ones.",
        discussion: """
            Every training run keeps its model version (parameters, metrics, predictions, posteriors and its \
            report). --use ID makes that version current again (open labeling screens pick it up within a \
            second). --keep N deletes all but the newest N versions, never the current one, with their \
            predictions and files.
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: ArgumentHelp("Make this classifier version current.", valueName: "ID")) var use: String?
    @Option(help: ArgumentHelp("Keep only the newest N versions (and the current one).", valueName: "N")) var keep: Int?

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        if let use {
            try handle.makeCurrent(model: use)
            print("model \(Console.oneLine(use)) is current")
        }
        if let keep {
            guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
            let deleted = try handle.deleteOldModels(keep: keep)
            print("deleted \(deleted.count) old model version\(deleted.count == 1 ? "" : "s")")
        }
        for version in try handle.modelVersions() {
            let parameters = version.parameters
            let labels = parameters.map { "\($0.counts.reduce(0, +)) labels, \($0.classIds.count) classes" } ?? ""
            print(
                "\(version.isCurrent ? "*" : " ") \(version.id)  \(ISO8601DateFormatter().string(from: version.createdAt))  "
                    + "\(parameters?.head.rawValue ?? "?") head, \(labels)")
        }
    }
}
