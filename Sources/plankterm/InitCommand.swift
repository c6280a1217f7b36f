import ArgumentParser
import Foundation
import Project

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a project for a folder of images and import them, with any labels.",
        discussion: """
            Creates PROJECT (a folder) with its database, records DIR as the project's images folder, and \
            imports every .png/.jpg/.jpeg below DIR: each file is hashed and fully decoded; files that cannot \
            be decoded are listed as failed, with the reason. Labels come from class folders \
            (DIR/<class>/image) or from --labels FILE. Prints the project's status at the end.

            Example: plankterm init runs/cruise42 --images /data/cruise42/png --labels /data/cruise42/labels.csv
            """)

    @Argument(help: "The project folder to create.")
    var project: String

    @Option(help: ArgumentHelp("The folder of images.", valueName: "DIR"))
    var images: String

    @OptionGroup var labels: LabelImportOptions

    func run() throws {
        let root = ProjectLocation.absolute(images)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw ProjectError.imagesFolder(path: images, reason: "no such folder")
        }
        if let maxPixels = labels.maxPixels, maxPixels <= 0 {
            throw CommandFailure(message: "--max-pixels must be positive")
        }
        if let file = labels.labelFile.map(ProjectLocation.absolute) {
            _ = try LabelSource.read(
                path: file,
                columns: LabelColumns(
                    path: labels.pathColumn, label: labels.labelColumn,
                    status: labels.statusColumn))  // fail before creating anything
        }
        let handle = try ProjectHandle.create(at: project, imagesRoot: root)
        let options = try labels.importOptions(root: root, project: handle, creating: true)
        _ = try ImportReporting.run(project: handle, options: options)
        print("")
        print(try StatusCommand.describe(project: handle, root: root, failedLimit: 20))
    }
}
