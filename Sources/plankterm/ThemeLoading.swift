import Foundation
import Learning
import PlanktermCore
import TOMLKit
import TUI
import Terminal

/// Reads themes and the config file (TOML, through TOMLKit). A file that cannot be used is one error
/// line with its path, line and problem.
enum ThemeLoading {
    static let builtIn = ["dark", "light", "high-contrast", "mono"]

    /// The theme named `name` (a path, ~/.config/plankterm/themes/NAME.toml, or a built-in one).
    static func load(_ name: String) throws -> Theme {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        let candidates = [
            name, home + "/.config/plankterm/themes/\(name).toml",
            Bundle.module.path(forResource: name, ofType: "toml", inDirectory: "Resources/themes")
        ]
        guard
            let path = candidates.compactMap({ $0 }).first(where: {
                $0.hasSuffix(".toml") && FileManager.default.fileExists(atPath: $0)
            })
        else {
            throw CommandFailure(
                message: "no theme '\(name)'",
                hint: "built-in themes: \(builtIn.joined(separator: ", ")); or give a .toml file")
        }
        return try parse(path)
    }

    /// Parses a theme file; roles it leaves out keep the dark theme's colours.
    static func parse(_ path: String) throws -> Theme {
        let table = try readTable(path)
        var theme = Theme.dark
        theme.name = table["name"]?.string ?? (path as NSString).lastPathComponent
        guard let colors = table["colors"]?.table else {
            throw CommandFailure(message: "\(path): no [colors] table")
        }
        let ansi = table["ansi16"]?.table
        for key in colors.keys {
            guard let role = ColorRole(rawValue: key) else {
                throw CommandFailure(
                    message: "\(path): unknown colour role '\(key)'",
                    hint: "roles: \(ColorRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let text = colors[key]?.string, let rgb = hexColor(text) else {
                throw CommandFailure(message: "\(path): [colors] \(key) must be \"#rrggbb\"")
            }
            var color = Theme.Color(rgb.0, rgb.1, rgb.2, ansi16: theme.colors[role]?.ansi16 ?? 7)
            if let value = ansi?[key] {
                guard let n = value.int, (0...15).contains(n) else {
                    throw CommandFailure(message: "\(path): [ansi16] \(key) must be a number from 0 to 15")
                }
                color.ansi16 = UInt8(n)
            }
            theme.colors[role] = color
        }
        return theme
    }

    static func readTable(_ path: String) throws -> TOMLTable {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw CommandFailure(message: "\(path): cannot read the file")
        }
        // toml++ 3.4.0 (inside TOMLKit) aborts the process on a table header without a key ("[" or "[["
        // followed by anything but a key character or a quote; found by Fuzz/ toml): refuse those first.
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" }
            guard trimmed.hasPrefix("[") else { continue }
            // "[" or "[[" opens a header; what follows (after blanks) must start a key.
            var rest = trimmed.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            let afterBrackets = rest.drop { $0 == " " || $0 == "\t" }
            let ok =
                afterBrackets.first.map { c in
                    c == "\"" || c == "'" || c == "_" || c == "-" || (c.isASCII && (c.isLetter || c.isNumber))
                } ?? false
            if !ok && trimmed.dropFirst().first != "=" {
                throw CommandFailure(
                    message: "\(path): line \(number + 1): a table header needs a name, as in [colors]")
            }
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw CommandFailure(
                message: "\(path): line \(error.source.begin.line), column \(error.source.begin.column): "
                    + Console.oneLine(error.description))
        }
    }

    static func hexColor(_ text: String) -> (UInt8, UInt8, UInt8)? {
        guard text.count == 7, text.hasPrefix("#"), let v = UInt32(text.dropFirst(), radix: 16) else { return nil }
        return (UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
    }
}

/// `PROJECT/config.toml`, else `~/.config/plankterm/config.toml`: theme, color, annotator, blitter
/// ("half" or "quadrant"), and the background training (train_every labels, train_idle seconds,
/// train_head, jobs = false to leave jobs to `plankterm worker`).
struct PlanktermConfig {
    static let keys = [
        "theme", "color", "annotator", "train_every", "train_idle", "train_head", "jobs", "blitter", "graphics",
        "pixel_size_um"
    ]
    var theme: String?
    var color: String?
    var annotator: String?
    var trainEvery: Int?
    var trainIdle: Int?
    var trainHead: String?
    var jobs: Bool?
    /// "half" (default) or "quadrant".
    var blitter: String?
    /// auto (default), kitty, sixel, iterm or blocks.
    var graphics: String?
    /// The size of an image pixel in µm, for the size-true scale bar.
    var pixelSizeMicrometres: Double?
    var path: String?

    static func load(project: String) throws -> PlanktermConfig {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        for path in [ProjectLayout(directory: project).config, home + "/.config/plankterm/config.toml"]
        where FileManager.default.fileExists(atPath: path) {
            let table = try ThemeLoading.readTable(path)
            for key in table.keys where !keys.contains(key) {
                throw CommandFailure(
                    message: "\(path): unknown setting '\(key)'", hint: "settings: " + keys.joined(separator: ", "))
            }
            for key in ["train_every", "train_idle"] {
                if let value = table[key], value.int == nil || value.int! < 0 {
                    throw CommandFailure(
                        message: "\(path): \(key) must be a whole number ≥ 0 (0 turns it off)", hint: nil)
                }
            }
            if let blitter = table["blitter"], !["half", "quadrant"].contains(blitter.string ?? "") {
                throw CommandFailure(message: "\(path): blitter must be \"half\" or \"quadrant\"", hint: nil)
            }
            if let graphics = table["graphics"], GraphicsMode(rawValue: graphics.string ?? "") == nil {
                throw CommandFailure(
                    message: "\(path): graphics must be auto, kitty, sixel, iterm or blocks", hint: nil)
            }
            let pixelSize = table["pixel_size_um"].flatMap { $0.double ?? $0.int.map(Double.init) }
            if table["pixel_size_um"] != nil, !(pixelSize.map { $0 > 0 } ?? false) {
                throw CommandFailure(
                    message: "\(path): pixel_size_um must be a number > 0 (µm per image pixel)", hint: nil)
            }
            if let head = table["train_head"]?.string, HeadKind(rawValue: head) == nil {
                throw CommandFailure(message: "\(path): train_head must be knn, linear or mlp", hint: nil)
            }
            return PlanktermConfig(
                theme: table["theme"]?.string, color: table["color"]?.string,
                annotator: table["annotator"]?.string, trainEvery: table["train_every"]?.int,
                trainIdle: table["train_idle"]?.int,
                trainHead: table["train_head"]?.string, jobs: table["jobs"]?.bool,
                blitter: table["blitter"]?.string, graphics: table["graphics"]?.string,
                pixelSizeMicrometres: pixelSize, path: path)
        }
        return PlanktermConfig()
    }
}

/// The labeling screen's theme, colour depth and annotator: options first, then the config file, then
/// defaults. A broken theme or config file is reported on standard error (one line, with the file and
/// line) and the defaults are used: a typo in a theme never keeps anyone from labeling.
struct LabelScreenSettings {
    var theme = Theme.dark
    var depth: ColorDepth?
    var annotator: String
    /// Queue a training job after this many validated labels (0: never by count).
    var trainEvery = 50
    /// Queue a training job when labels were given and no key came for this many seconds (0: never).
    var trainIdle: TimeInterval = 120
    var trainHead = HeadKind.linear
    /// Run queued jobs on a thread of the screen (else only `plankterm worker` runs them).
    var runJobs = true
    /// Thumbnails from 2 × 2 pixels a cell (needs a font with quadrant glyphs).
    var quadrants = false
    /// How images are drawn: asked of the terminal (auto) or forced.
    var graphics = GraphicsMode.auto
    var pixelSizeMicrometres: Double?

    static func resolve(
        project: String, theme: String?, color: String?, annotator: String?,
        graphics: GraphicsMode? = nil
    ) -> LabelScreenSettings {
        var config = PlanktermConfig()
        do { config = try PlanktermConfig.load(project: project) } catch {
            Console.printError("warning: \(ErrorReporting.message(error)); using the defaults")
        }
        var settings = LabelScreenSettings(
            depth: nil, annotator: ProjectLocation.annotator(annotator ?? config.annotator))
        settings.trainEvery = config.trainEvery ?? settings.trainEvery
        settings.trainIdle = config.trainIdle.map(TimeInterval.init) ?? settings.trainIdle
        settings.trainHead = config.trainHead.flatMap(HeadKind.init(rawValue:)) ?? settings.trainHead
        settings.runJobs = config.jobs ?? settings.runJobs
        settings.quadrants = config.blitter == "quadrant"
        settings.graphics = graphics ?? config.graphics.flatMap(GraphicsMode.init(rawValue:)) ?? .auto
        settings.pixelSizeMicrometres = config.pixelSizeMicrometres
        if let name = theme ?? config.theme {
            do { settings.theme = try ThemeLoading.load(name) } catch {
                Console.printError("warning: \(ErrorReporting.message(error)); using the default theme")
            }
        }
        if let c = color ?? config.color {
            if let depth = ColorDepth(rawValue: c) {
                settings.depth = depth
            } else {
                Console.printError(
                    "warning: color '\(Console.oneLine(c))' is not truecolor, 256, 16 or mono; detecting it")
            }
        }
        return settings
    }
}
