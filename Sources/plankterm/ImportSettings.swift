import ArgumentParser
import Imaging
import Project

extension FolderLabels: ExpressibleByArgument {}

/// The options `init` and `import` share: where labels come from and how to read them.
struct LabelImportOptions: ParsableArguments {
    @Option(name: .customLong("labels"), help: ArgumentHelp(
        "A label file: CSV with a header (path and label columns found by name), or an EcoTaxa TSV.",
        valueName: "FILE"))
    var labelFile: String?

    @Option(help: ArgumentHelp("The label file's column holding image paths (default: found by name).",
                               valueName: "NAME"))
    var pathColumn: String?

    @Option(help: ArgumentHelp("The label file's column holding class names (default: found by name).",
                               valueName: "NAME"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("The label file's column holding validated/predicted/dubious.", valueName: "NAME"))
    var statusColumn: String?

    @Option(help: ArgumentHelp("""
        Take DIR/<class>/image as labelled <class>: auto (when no --labels is given and two or more \
        top-level folders hold images), on, or off.
        """, valueName: "MODE"))
    var folderLabels: FolderLabels = .auto

    @Option(help: ArgumentHelp("Who gave the imported labels when the file does not say (default: $USER).",
                               valueName: "NAME"))
    var annotator: String?

    @Flag(help: "Let imported labels replace labels that were given in plankterm (by default those are kept).")
    var replaceLabels = false

    @Option(help: ArgumentHelp("Refuse images whose header claims more pixels than this.", valueName: "N"))
    var maxPixels: Int = ImageDecoder.defaultMaxPixels

    func importOptions(root: String) throws -> ImportOptions {
        guard maxPixels > 0 else { throw CommandFailure(message: "--max-pixels must be positive") }
        return ImportOptions(
            imagesRoot: root, labelFile: labelFile.map(ProjectLocation.absolute),
            labelColumns: LabelColumns(path: pathColumn, label: labelColumn, status: statusColumn),
            folderLabels: folderLabels, annotator: ProjectLocation.annotator(annotator),
            replaceLabels: replaceLabels, maxPixels: maxPixels)
    }
}
