import ArgumentParser
import Foundation
import Project
import Store

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
        let store = try ProjectStore.open(at: project)
        if let use {
            try store.makeCurrent(classifier: use)
            print("model \(Console.oneLine(use)) is current")
        }
        if let keep {
            guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
            let deleted = try store.deleteOldClassifiers(keep: keep)
            for id in deleted {
                try? FileManager.default.removeItem(atPath: store.directory + "/" + ClassifierRun.posteriorsFile(modelId: id))
                try? FileManager.default.removeItem(atPath: ModelChangeReport.file(project: store.directory, modelId: id))
            }
            print("deleted \(deleted.count) old model version\(deleted.count == 1 ? "" : "s")")
        }
        let current = try store.currentClassifier()?.id
        for record in try store.classifiers() {
            let parameters = try? ClassifierRun.parameters(of: record)
            let labels = parameters.map { "\($0.counts.reduce(0, +)) labels, \($0.classIds.count) classes" } ?? ""
            print("\(record.id == current ? "*" : " ") \(record.id)  \(ISO8601DateFormatter().string(from: record.createdAt))  "
                  + "\(parameters?.head.rawValue ?? "?") head, \(labels)")
        }
    }
}
