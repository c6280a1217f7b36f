import ArgumentParser
import Foundation
import Project

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring a project up to date with its images folder, and import labels.",
        discussion: """
            Incremental and idempotent: files already imported and unchanged (same size and time) are not \
            read again, new files are added, changed files re-read, moved files (same content) keep their \
            labels, and files that vanished are reported and marked missing — their labels are kept. Labels \
            from a file or class folders are added once; running the same import again adds nothing. A label \
            given in plankterm itself is never replaced by an imported one unless --replace-labels is given.
            """)

    @Argument(help: "The project folder.")
    var project: String

    @Option(help: ArgumentHelp("The images folder (default: the one recorded at init).", valueName: "DIR"))
    var images: String?

    @OptionGroup var labels: LabelImportOptions

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        var root = try handle.imagesRoot()
        if let images {
            let given = ProjectLocation.absolute(images)
            if given != root {
                if FileManager.default.fileExists(atPath: root) {
                    throw CommandFailure(
                        message: "\(project): the project's images folder is \(root), not \(given)",
                        hint: "image paths are relative to one folder; put new images under \(root)")
                }
                // The recorded folder is gone: the images were moved, so follow them.
                try handle.setImagesRoot(given)
                root = given
            }
        }
        let report = try ImportReporting.run(
            project: handle, options: try labels.importOptions(root: root, project: handle))
        // New images in a project that has embeddings: queue their embedding for the background queue.
        if report.added + report.changed > 0, try handle.hasEncoder() {
            let id = try handle.enqueue(.embed, time: Date())
            print(
                "embedding the new images is queued (job \(id)): an open labeling screen or 'plankterm worker \(Console.oneLine(project))' runs it"
            )
        }
    }
}
