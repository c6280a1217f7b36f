import ArgumentParser
import Imaging
import Project

extension FolderLabels: ExpressibleByArgument {}

/// The options `init` and `import` share: where labels come from and how to read them.
struct LabelImportOptions: ParsableArguments {
    @Option(
        name: .customLong("labels"),
        help: ArgumentHelp(
            """
            A label file (CSV with a header, path and label columns found by name; or an EcoTaxa TSV), a folder \
            of EcoTaxa exports (every ecotaxa_*.tsv below it), or a .zip of such a folder. EcoTaxa's other \
            columns (object_id, sample_id, object_lat, object_depth_min, process_pixel…) are kept as image \
            metadata ('plankterm abundance --by sample_id').
            """,
            valueName: "PATH"))
    var labelFile: String?

    @Option(
        help: ArgumentHelp(
            "The label file's column holding image paths (default: found by name).",
            valueName: "NAME"))
    var pathColumn: String?

    @Option(
        help: ArgumentHelp(
            "The label file's column holding class names (default: found by name).",
            valueName: "NAME"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("The label file's column holding validated/predicted/dubious.", valueName: "NAME"))
    var statusColumn: String?

    @Option(
        help: ArgumentHelp(
            """
            Take DIR/<class>/image as labelled <class>: auto (when no --labels is given and two or more \
            top-level folders hold images), on, or off. The project remembers the choice: a later import without \
            this option makes the same one.
            """, valueName: "MODE"))
    var folderLabels: FolderLabels?

    @Option(
        help: ArgumentHelp(
            "Who gave the imported labels when the file does not say (default: $USER).",
            valueName: "NAME"))
    var annotator: String?

    @Flag(help: "Let imported labels replace labels that were given in plankterm (by default those are kept).")
    var replaceLabels = false

    @Option(
        help: ArgumentHelp(
            """
            Refuse images whose header claims more pixels than this (default \(ImageDecoder.defaultMaxPixels); \
            remembered by the project like --folder-labels).
            """, valueName: "N"))
    var maxPixels: Int?

    /// The import's options; the project's recorded choices fill in what was not given, and what was given
    /// is recorded (all of it at `init`).
    func importOptions(root: String, project handle: ProjectHandle, creating: Bool = false) throws -> ImportOptions {
        if let maxPixels, maxPixels <= 0 { throw CommandFailure(message: "--max-pixels must be positive") }
        let (folderLabels, maxPixels) = try ImportDefaults.resolve(
            project: handle, folderLabels: folderLabels,
            maxPixels: maxPixels, recordAll: creating)
        return ImportOptions(
            imagesRoot: root, labelFile: labelFile.map(ProjectLocation.absolute),
            labelColumns: LabelColumns(path: pathColumn, label: labelColumn, status: statusColumn),
            folderLabels: folderLabels, annotator: ProjectLocation.annotator(annotator),
            replaceLabels: replaceLabels, maxPixels: maxPixels)
    }
}
