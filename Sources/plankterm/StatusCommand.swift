import ArgumentParser
import Foundation
import Project

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a project's images, failures, classes and labels.",
        discussion: """
            Counts images (present and decodable), failed images with the reason, missing images, classes, \
            and current labels by status (validated, predicted, dubious), then the per-class counts. \
            --json prints one JSON object with the keys images, failed, failures, missing, classes, labeled, \
            validated, predicted, dubious, unlabeled, annotations, perClass, project, imagesRoot and model (the \
            current classifier's id, or null).
            """)

    @Argument(help: "The project folder.")
    var project: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "List every failed image, not only the first 20.")
    var allFailures = false

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let root = (try? handle.imagesRoot()) ?? ""
        if json {
            let s = try handle.summary()
            var perClass: [String: [String: Int]] = [:]
            for c in s.perClass {
                perClass[c.name] = ["validated": c.validated, "predicted": c.predicted, "dubious": c.dubious]
            }
            let object: [String: Any] = [
                "project": ProjectLocation.absolute(project), "imagesRoot": root,
                "images": s.images, "failed": s.failed, "missing": s.missing, "classes": s.classes,
                "labeled": s.labeled, "validated": s.validated, "predicted": s.predicted, "dubious": s.dubious,
                "unlabeled": max(0, s.images - s.labeled), "annotations": s.annotations,
                "labelsOnUnusableImages": s.labelsOnUnusableImages,
                "failures": s.failures.map { ["path": $0.path, "reason": $0.reason] },
                "perClass": perClass,
                "model": (try handle.currentModelId()).map { $0 as Any } ?? NSNull()
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(try Self.describe(project: handle, root: root, failedLimit: allFailures ? Int.max : 20))
        }
    }

    /// The text form of the status.
    static func describe(project handle: ProjectHandle, root: String, failedLimit: Int) throws -> String {
        let s = try handle.summary()
        var lines: [String] = []
        lines.append("project   \(Console.oneLine(ProjectLocation.absolute(handle.directory)))")
        lines.append("images    \(s.images)  (folder \(Console.oneLine(root)))")
        lines.append("failed    \(s.failed)")
        for f in s.failures.prefix(failedLimit) {
            lines.append("  \(Console.oneLine(f.path)): \(Console.oneLine(f.reason))")
        }
        if s.failures.count > failedLimit {
            lines.append("  … \(s.failures.count - failedLimit) more (--all-failures)")
        }
        if s.missing > 0 { lines.append("missing   \(s.missing)  (files vanished; labels kept)") }
        if s.labelsOnUnusableImages > 0 {
            lines.append(
                "          \(s.labelsOnUnusableImages) labels on missing or failed images are kept, not counted below")
        }
        lines.append("classes   \(s.classes)")
        lines.append(
            "labels    \(s.validated) validated · \(s.predicted) predicted · \(s.dubious) dubious · "
                + "\(max(0, s.images - s.labeled)) unlabelled")
        if let model = try handle.currentModel() {
            var line = "model     \(model.id)"
            if let parameters = model.parameters {
                line +=
                    " (\(parameters.head.rawValue) head, \(parameters.counts.reduce(0, +)) labels, "
                    + "\(parameters.classIds.count) classes, \(Timestamps.iso(model.createdAt)))"
            }
            lines.append(line)
        } else {
            lines.append("model     none yet ('plankterm train')")
        }
        if !s.perClass.isEmpty {
            let width = min(48, s.perClass.map { $0.name.count }.max() ?? 5)
            lines.append("")
            lines.append(
                "class".padding(toLength: width, withPad: " ", startingAt: 0) + "  validated  predicted  dubious")
            for c in s.perClass {
                let name = Console.oneLine(c.name)
                let shown = name.count > width ? String(name.prefix(width - 1)) + "…" : name
                lines.append(
                    shown.padding(toLength: width, withPad: " ", startingAt: 0)
                        + pad(c.validated, 11) + pad(c.predicted, 11) + pad(c.dubious, 9))
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: " ", count: max(1, width - s.count)) + s
    }
}
