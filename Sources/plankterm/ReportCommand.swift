import ArgumentParser
import Foundation
import Project

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Say what changed when the current model replaced the previous one.",
        discussion: """
            Every training run compares its new model with the model it replaces before installing it: \
            predictions changed, validated labels the model disagrees with (before → after), out-of-fold \
            balanced accuracy and ECE (before → after), and per class the unlabelled images predicted in it. \
            The labeling screen shows the same in one line when a model lands, and R there reviews the images \
            whose prediction changed. --json prints one object (predictions_changed, \
            validated_disagreeing_before/after, ece_before/after, balanced_accuracy_before/after, class_changes, \
            and with --images the ids of the changed and the disagreeing images).
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: "A model id (default: the current model).") var model: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "With --json: include the image ids (changed_images, disagreeing_images).") var images = false

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        guard let id = try model ?? handle.currentModel()?.id else {
            throw ProjectError.noModel(project: handle.directory)
        }
        guard var report = try ModelChangeReport.load(project: handle.directory, modelId: id) else {
            throw CommandFailure(
                message: "\(Console.oneLine(handle.directory)): model \(Console.oneLine(id)) has no report",
                hint: "models trained before reports existed have none; the next training writes one")
        }
        guard json else { print(report.text); return }
        if !images {
            report.changedImages = []
            report.disagreeingImages = []
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
