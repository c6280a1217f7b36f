import ArgumentParser
import Foundation
import PlanktermCore
import Project

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write a project's labels as CSV, an EcoTaxa import folder, an ImageFolder tree, or embeddings as NumPy.",
        discussion: """
            csv: one file with path (relative to the images folder), label, status, annotator, time \
            (ISO 8601, UTC), confidence, hash and probability (the calibrated probability of the exported \
            label: 1 for validated labels, the current model's for predictions). --status predicted or any \
            also exports the current model's call for every image without an expert label: the class it assigns \
            with every class equally likely (the rare-class view), with that class's probability in this sample. ecotaxa: a folder with ecotaxa_export.tsv (with EcoTaxa's \
            [t] type row) and the images beside it, ready for EcoTaxa's import. imagefolder: a folder per class \
            holding its images (what PyTorch's ImageFolder loads), plus labels.csv and class_names.csv; class \
            names that are unsafe as folder names (slashes, control characters, '..', very long, or equal but \
            for case) are made safe and distinct. npy: a folder with embeddings.npy (N×D float32, \
            L2-normalised, from the newest 'plankterm embed') and index.csv (path, label, status per row); \
            where the project stores its embeddings on principal axes, projection.safetensors beside them \
            holds the map (mean and axes) from the encoder's features. \
            Images are hard-linked where possible, else copied. Every \
            export is written under a temporary name and renamed into place, with a provenance.json.
            """)

    @Argument(help: "The project folder.")
    var project: String

    @Option(help: ArgumentHelp("csv, ecotaxa, imagefolder or npy.", valueName: "FORMAT"))
    var format: ExportFormat

    @Option(name: .customLong("out"), help: ArgumentHelp("The file (csv) or folder to write.", valueName: "PATH"))
    var output: String

    @Option(
        help: ArgumentHelp(
            "validated (default), predicted (the current model's predictions of images without an expert label) or any.",
            valueName: "STATUS"))
    var status: String = "validated"

    @Option(help: ArgumentHelp("Leave out labels whose confidence is below P (0–1).", valueName: "P"))
    var minConfidence: Double?

    @Flag(help: "Replace PATH if it exists (never allowed for, around or inside the project or the images folder).")
    var force = false

    @Option(help: ArgumentHelp("npy: the encoder whose embeddings to write (default: the newest).", valueName: "ID"))
    var model: String?

    func validate() throws {
        guard ["validated", "predicted", "any"].contains(status) else {
            throw ValidationError("--status must be validated, predicted or any, not '\(status)'")
        }
        if let p = minConfidence, !(0...1).contains(p) {
            throw ValidationError("--min-confidence must be between 0 and 1")
        }
    }

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let root = try handle.imagesRoot()
        let statuses: Set<LabelStatus> =
            status == "any" ? Set(LabelStatus.allCases) : (status == "predicted" ? [.predicted] : [.validated])
        let report = try Exporter(project: handle, imagesRoot: root).run(
            {
                var options = ExportOptions(
                    format: format, output: output, statuses: statuses,
                    minConfidence: minConfidence, force: force)
                options.modelId = model
                return options
            }())
        var line = "exported \(report.labels) labels as \(format.rawValue) to \(Console.oneLine(report.output))"
        if report.files > 0 { line += " (\(report.files) image files)" }
        print(line)
        if report.skippedFiles > 0 {
            print("left out \(report.skippedFiles) labelled images whose files are missing or undecodable")
        }
    }
}
