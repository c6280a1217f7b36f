import ArgumentParser
import Foundation
import Learning
import Linalg
import PlanktermCore
import Project

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a demo project from real plankton images and open the labeling screen on it.",
        discussion: """
            Imports --images (default: the demo images that ship with plankterm, 10 real ISIIS images of each \
            of the 121 NDSB classes — Demo/README.md gives their source and citation; or give any folder of \
            PNG/JPEG images) into --project without taking its folder \
            names as labels, then plays the expert's first minutes: where the images sit in class folders, \
            --seed-labels images per class (chosen with --seed) get a validated label from their folder. Then \
            embeds every image with the shipped encoder, trains the linear head, and opens the labeling \
            screen on the review queue. Run again, it reuses the project. Without a terminal it prints the \
            project's status instead of opening the screen.
            """)

    @Option(help: ArgumentHelp("The images (default: the shipped demo images, Demo/images).", valueName: "DIR"))
    var images: String?
    @Option(help: ArgumentHelp("The demo project folder.", valueName: "DIR")) var project = "demo-project"
    @Option(help: "Validated labels per class folder to start from.") var seedLabels = 5
    @Option(help: "Seed for choosing them.") var seed: UInt64 = 0
    @Flag(help: "Prepare the project but do not open the labeling screen.") var noOpen = false

    func run() throws {
        let handle: ProjectHandle
        let root: String
        if ProjectHandle.exists(at: project) {
            handle = try ProjectHandle.open(at: project)
            root = try handle.imagesRoot()
        } else {
            guard let folder = images ?? Self.defaultImages() else {
                throw CommandFailure(
                    message: "no images for the demo: the shipped Demo/images folder is not beside this plankterm",
                    hint: "give a folder of PNG or JPEG images with --images DIR")
            }
            root = ProjectLocation.absolute(folder)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                throw ProjectError.imagesFolder(path: folder, reason: "no such folder")
            }
            handle = try ProjectHandle.create(at: project, imagesRoot: root)
            print("importing \(Console.oneLine(root)) …")
            let (folderLabels, maxPixels) = try ImportDefaults.resolve(
                project: handle, folderLabels: .off, maxPixels: nil,
                recordAll: true)
            _ = try ImportReporting.run(
                project: handle,
                options: ImportOptions(
                    imagesRoot: root, folderLabels: folderLabels,
                    annotator: "demo", maxPixels: maxPixels))
        }
        if try handle.validatedLabelCount().images == 0 {
            let seeded = try handle.seedLabelsFromFolders(
                perFolder: seedLabels, seed: seed, annotator: "demo-seed", source: "demo")
            print(
                seeded > 0
                    ? "seeded \(seeded) validated labels (\(seedLabels) per class folder)"
                    : "no class folders: label the first images yourself on the screen")
        }
        try EmbedCommand.ensure(project: handle, quiet: false, threads: Gemm.threads)
        if try handle.currentModelId() == nil, try handle.validatedLabelCount().classes >= 2 {
            let report = try TrainWorkflow.run(
                project: handle, parameters: TrainJobParameters(head: .linear, reason: "plankterm demo"),
                threads: Gemm.threads)
            print(
                "trained \(report.modelId) on \(report.labelsUsed) labels in \(String(format: "%.1f", report.seconds)) s"
            )
        }
        guard !noOpen, isatty(0) == 1, isatty(1) == 1 else {
            print(try StatusCommand.describe(project: handle, root: root, failedLimit: 5))
            print("\nopen the labeling screen with: plankterm label \(Console.oneLine(project))")
            return
        }
        let settings = LabelScreenSettings.resolve(project: handle.directory, theme: nil, color: nil, annotator: nil)
        let outcome = try LabelScreenShell.run(project: handle, imagesRoot: root, settings: settings, strategy: .margin)
        print(outcome.summary(project: handle.directory))
    }

    /// The demo images that ship with plankterm (10 of each of the 121 NDSB classes, Demo/README.md): beside
    /// an installed binary in `PREFIX/share/plankterm/demo/images`, or in the source tree the binary was
    /// built in (`Demo/images`); `PLANKTERM_DEMO_IMAGES` overrides both.
    static func defaultImages() -> String? {
        if let given = ProcessInfo.processInfo.environment["PLANKTERM_DEMO_IMAGES"], !given.isEmpty { return given }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = (ProjectLocation.absolute(executable) as NSString).deletingLastPathComponent
        var candidates = [folder + "/../share/plankterm/demo/images"]
        for _ in 0..<5 {
            candidates.append(folder + "/Demo/images")
            folder = (folder as NSString).deletingLastPathComponent
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/Demo/images")
        return candidates.map { ($0 as NSString).standardizingPath }.first {
            FileManager.default.fileExists(atPath: $0)
        }
    }
}
