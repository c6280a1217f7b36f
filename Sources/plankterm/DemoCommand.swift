import ArgumentParser
import Foundation
import Learning
import Linalg
import PlanktermCore
import Project
import Store

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

    @Option(help: ArgumentHelp("The images (default: the shipped demo images, Demo/images).", valueName: "DIR")) var images: String?
    @Option(help: ArgumentHelp("The demo project folder.", valueName: "DIR")) var project = "demo-project"
    @Option(help: "Validated labels per class folder to start from.") var seedLabels = 5
    @Option(help: "Seed for choosing them.") var seed: UInt64 = 0
    @Flag(help: "Prepare the project but do not open the labeling screen.") var noOpen = false

    func run() throws {
        let store: ProjectStore
        let root: String
        if FileManager.default.fileExists(atPath: project + "/" + ProjectStore.databaseFileName) {
            store = try ProjectStore.open(at: project)
            root = try ProjectLocation.imagesRoot(of: store)
        } else {
            guard let folder = images ?? Self.defaultImages() else {
                throw CommandFailure(message: "no images for the demo: the shipped Demo/images folder is not beside this plankterm",
                                     hint: "give a folder of PNG or JPEG images with --images DIR")
            }
            root = ProjectLocation.absolute(folder)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                throw ProjectError.imagesFolder(path: folder, reason: "no such folder")
            }
            store = try ProjectStore.create(at: project)
            try store.setMeta(ProjectLocation.imagesRootKey, root)
            print("importing \(Console.oneLine(root)) …")
            let (folderLabels, maxPixels) = try ImportDefaults.resolve(store: store, folderLabels: .off, maxPixels: nil,
                                                                       recordAll: true)
            _ = try ImportReporting.run(store: store, options: ImportOptions(imagesRoot: root, folderLabels: folderLabels,
                                                                             annotator: "demo", maxPixels: maxPixels))
        }
        if try store.validatedLabels().isEmpty {
            let seeded = try seedFromFolders(store)
            print(seeded > 0 ? "seeded \(seeded) validated labels (\(seedLabels) per class folder)"
                             : "no class folders: label the first images yourself on the screen")
        }
        try EmbeddingPreparation.ensure(store: store, quiet: false, lanes: Gemm.threads)
        if try store.currentClassifier() == nil, Set(try store.validatedLabels().values).count >= 2 {
            let report = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear))
            print("trained \(report.modelId) on \(report.labelsUsed) labels in \(String(format: "%.1f", report.seconds)) s")
        }
        guard !noOpen, isatty(0) == 1, isatty(1) == 1 else {
            print(try StatusCommand.describe(store: store, root: root, failedLimit: 5))
            print("\nopen the labeling screen with: plankterm label \(Console.oneLine(project))")
            return
        }
        let settings = LabelScreenSettings.resolve(project: store.directory, theme: nil, color: nil, annotator: nil)
        let outcome = try LabelScreenShell.run(store: store, imagesRoot: root, settings: settings, strategy: .margin)
        print(outcome.summary(project: store.directory))
    }

    /// The demo images that ship with plankterm (10 of each of the 121 NDSB classes, Demo/README.md): beside
    /// an installed binary in `PREFIX/share/plankterm/demo/images`, or in the source tree the binary was
    /// built in (`Demo/images`); `PLANKTERM_DEMO_IMAGES` overrides both.
    static func defaultImages() -> String? {
        if let given = ProcessInfo.processInfo.environment["PLANKTERM_DEMO_IMAGES"], !given.isEmpty { return given }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = (ProjectLocation.absolute(executable) as NSString).deletingLastPathComponent
        var candidates = [folder + "/../share/plankterm/demo/images"]
        for _ in 0..<5 {
            candidates.append(folder + "/Demo/images")
            folder = (folder as NSString).deletingLastPathComponent
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/Demo/images")
        return candidates.map { ($0 as NSString).standardizingPath }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `seedLabels` images of every top-level folder, as validated labels of that folder's name.
    func seedFromFolders(_ store: ProjectStore) throws -> Int {
        var byFolder: [String: [ImageID]] = [:]
        for image in try store.usableImages() {
            let parts = image.path.split(separator: "/")
            if parts.count == 2 { byFolder[String(parts[0]), default: []].append(image.id) }
        }
        guard byFolder.count >= 2 else { return 0 }
        var rng = SeededGenerator(seed: seed)
        var drafts: [AnnotationDraft] = []
        for (folder, ids) in byFolder.sorted(by: { $0.key < $1.key }) {
            var shuffled = ids.sorted { $0.rawValue < $1.rawValue }
            shuffled.shuffle(using: &rng)
            for id in shuffled.prefix(seedLabels) {
                drafts.append(AnnotationDraft(imageID: id, className: folder, status: .validated, annotator: "demo-seed",
                                              time: Date(), source: "demo"))
            }
        }
        try store.append(drafts)
        return drafts.count
    }
}
