import ArgumentParser
import Foundation
import Learning
import PlanktermCore
import Project
import TUI
import Terminal

extension LabelStatus: ExpressibleByArgument {}

struct LabelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Label images on the labeling screen, from the command line or a script.",
        discussion: """
            plankterm label PROJECT opens the labeling screen: each image of the queue (the current model's \
            least certain predictions first, or the unlabelled images before any model exists) large, with \
            its prediction, why it is asked, and its nearest neighbours. The percentages are what to expect in this \
            sample; the model's call (what Enter takes, review by class and exports use) is made with every \
            class equally likely, the rare-class view, and has its own line where it differs from the most \
            probable class in this sample. Keys: Enter/a accept the model's call, \
            1-9 take neighbour k's label, t type a class, d dubious, x skip, n/N next/previous, u undo, \
            Ctrl-R redo (both kept across restarts), R review what the latest model changed, Tab the Grid \
            (validate or relabel many at once), Classes (counts, rename, merge) and Jobs screens, : a command \
            (train, queue STRATEGY, export FORMAT PATH, grid CLASS), ? help, q quit. Every label is committed \
            when its key is pressed. Training runs in the background after train_every (50) labels or \
            train_idle (120) seconds without a key, and the screen picks up each new model. --color overrides \
            the detected colour depth (ssh does not forward COLORTERM); --theme picks a colour theme; --graphics \
            how images are drawn (auto asks the terminal for kitty graphics, sixel or iTerm2 images; blocks are \
            half-block characters; + and - zoom, z shows thumbnails at one scale). These, the annotator, blitter \
            ("half" or "quadrant"), graphics, pixel_size_um (for the size-true scale bar), train_every, train_idle, train_head and jobs (false: \
            leave jobs to 'plankterm worker') can be set in PROJECT/config.toml or ~/.config/plankterm/config.toml.

            plankterm label PROJECT IMAGE CLASS labels one image (IMAGE is its path relative to the images \
            folder). With --stdin, reads lines 'IMAGE<TAB>CLASS' (or 'IMAGE,CLASS'; an optional third field is \
            the status) and commits each line in its own transaction, printing 'ok ID IMAGE' once it is on \
            disk: a script can stop or be killed at any time and every acknowledged label is kept. A class \
            '-' withdraws the image's label. Every label joins the image's history; nothing is overwritten.
            """)

    @Argument(help: "The project folder.")
    var project: String

    @Argument(help: "The image, as a path relative to the images folder.")
    var image: String?

    @Argument(help: "The class to give it ('-' withdraws the label).")
    var className: String?

    @Option(help: ArgumentHelp("validated, predicted or dubious.", valueName: "STATUS"))
    var status: LabelStatus = .validated

    @Option(help: ArgumentHelp("Who gives the label (default: $USER).", valueName: "NAME"))
    var annotator: String?

    @Flag(help: "Read IMAGE<TAB>CLASS lines from standard input, one transaction each.")
    var stdin = false

    @Option(
        help: ArgumentHelp(
            "Labeling screen colours: truecolor, 256, 16 or mono (default: detected).", valueName: "DEPTH"))
    var color: String?

    @Option(
        help: ArgumentHelp(
            "Labeling screen theme: dark, light, high-contrast, mono, or a .toml file.", valueName: "NAME"))
    var theme: String?

    @Option(
        help: ArgumentHelp(
            "Labeling screen images: auto (ask the terminal), kitty, sixel, iterm or blocks.", valueName: "MODE"))
    var graphics: String?

    @Option(
        help: ArgumentHelp(
            "Labeling screen queue: margin, least-confidence, entropy, diverse, disagree or random.",
            valueName: "STRATEGY"))
    var queue = "margin"

    func validate() throws {
        if stdin && (image != nil || className != nil) {
            throw ValidationError("give either IMAGE CLASS or --stdin, not both")
        }
        if !stdin && (image == nil) != (className == nil) {
            throw ValidationError("give IMAGE and CLASS, --stdin, or neither for the labeling screen")
        }
        if let color, ColorDepth(rawValue: color) == nil {
            throw ValidationError("--color must be truecolor, 256, 16 or mono, not '\(color)'")
        }
        if let graphics, GraphicsMode(rawValue: graphics) == nil {
            throw ValidationError("--graphics must be auto, kitty, sixel, iterm or blocks, not '\(graphics)'")
        }
        if stdin || image != nil, theme != nil || color != nil || graphics != nil {
            throw ValidationError("--theme, --color and --graphics are for the labeling screen (no IMAGE, no --stdin)")
        }
        if QueryStrategy(rawValue: queue) == nil {
            throw ValidationError(
                "--queue must be one of \(QueryStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let who = ProjectLocation.annotator(annotator)
        if !stdin && image == nil {
            let root = try handle.imagesRoot()
            let settings = LabelScreenSettings.resolve(
                project: handle.directory, theme: theme, color: color,
                annotator: annotator, graphics: graphics.flatMap(GraphicsMode.init(rawValue:)))
            let outcome = try LabelScreenShell.run(
                project: handle, imagesRoot: root, settings: settings,
                strategy: QueryStrategy(rawValue: queue) ?? .margin)
            print(outcome.summary(project: handle.directory))
            return
        }
        if !stdin {
            let id = try handle.label(
                image: image!, className: className! == "-" ? nil : className!, status: status,
                annotator: who, source: "cli")
            print("ok \(id) \(Console.oneLine(image!))")
            return
        }
        var failures = 0
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = line.split(separator: line.contains("\t") ? "\t" : ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2 else {
                Console.printError("error: standard input: line \(lineNumber): expected IMAGE<TAB>CLASS")
                failures += 1
                continue
            }
            var lineStatus = status
            if fields.count >= 3, !fields[2].isEmpty {
                guard let parsed = LabelStatus(lenient: fields[2]) else {
                    Console.printError(
                        "error: standard input: line \(lineNumber): unknown status '\(Console.oneLine(fields[2]))'")
                    failures += 1
                    continue
                }
                lineStatus = parsed
            }
            do {
                let id = try handle.label(
                    image: fields[0], className: fields[1] == "-" ? nil : fields[1], status: lineStatus,
                    annotator: who, source: "cli")
                // Unbuffered: the acknowledgement leaves only after the commit, and at once.
                FileHandle.standardOutput.write(Data("ok \(id) \(Console.oneLine(fields[0]))\n".utf8))
            } catch {
                Console.printError("error: standard input: line \(lineNumber): \(Console.oneLine("\(error)"))")
                failures += 1
            }
        }
        if failures > 0 {
            throw CommandFailure(message: "\(failures) line(s) of standard input were not labelled")
        }
    }
}
