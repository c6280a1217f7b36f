/// A line typed after `:` on the labeling screen, parsed but not yet run.
///
/// Heads, queue strategies and export formats are carried by their raw names: `Labeling` sits below the
/// targets that define them, so the shell maps the names back to its own types (the parser has already
/// checked them against the `CommandVocabulary` it was given).
public enum ColonCommand: Equatable, Sendable {
    /// Queue training; nil head: the settings' head.
    case train(head: String?)
    case pretrain(epochs: Int)
    case finetune(epochs: Int)
    case embed
    case abundance(by: String)
    case queue(strategy: String)
    case export(format: String, path: String)
    /// The grid of the queue (nil) or of the images predicted as the class typed (matched by the shell).
    case grid(className: String?)
    case label
    case classes
    case jobs
    case quit

    /// The names the parser accepts for heads, queue strategies and export formats, in the order its
    /// messages list them.
    public struct Vocabulary: Sendable {
        public var heads: [String]
        public var queues: [String]
        public var exportFormats: [String]

        public init(heads: [String], queues: [String], exportFormats: [String]) {
            self.heads = heads
            self.queues = queues
            self.exportFormats = exportFormats
        }
    }

    /// Why a line is not a command: the message the status line shows (a usage line or the names allowed).
    public struct ParseError: Error, Equatable, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// The list of commands shown for a line that is none of them.
    public static let usage =
        "commands: train [HEAD] · finetune [EPOCHS] · embed · pretrain [EPOCHS] · abundance [BY] · queue STRATEGY · export FORMAT PATH · grid [CLASS] · label · classes · jobs · quit"

    /// Parses a `:` line: words split on spaces (runs of spaces count as one); words after the ones a
    /// command takes are ignored, except by `grid`, whose class name may hold spaces.
    public static func parse(_ text: String, vocabulary: Vocabulary) -> Result<ColonCommand, ParseError> {
        let words = text.split(separator: " ").map(String.init)
        let argument = words.count > 1 ? words[1] : nil
        switch words.first {
        case "train":
            if let argument, !vocabulary.heads.contains(argument) {
                return .failure(ParseError("heads: " + vocabulary.heads.joined(separator: ", ")))
            }
            return .success(.train(head: argument))
        case "pretrain":
            return epochs(argument, default: 15, usage: "pretrain [EPOCHS]").map { .pretrain(epochs: $0) }
        case "finetune":
            return epochs(argument, default: 1, usage: "finetune [EPOCHS]").map { .finetune(epochs: $0) }
        case "embed": return .success(.embed)
        case "abundance": return .success(.abundance(by: argument ?? "folder"))
        case "queue":
            guard let argument, vocabulary.queues.contains(argument) else {
                return .failure(ParseError("queues: " + vocabulary.queues.joined(separator: ", ")))
            }
            return .success(.queue(strategy: argument))
        case "export":
            guard words.count == 3, vocabulary.exportFormats.contains(words[1]) else {
                return .failure(
                    ParseError(
                        "export FORMAT PATH, FORMAT one of "
                            + vocabulary.exportFormats.joined(separator: ", ")))
            }
            return .success(.export(format: words[1], path: words[2]))
        case "grid":
            return .success(.grid(className: words.count > 1 ? words.dropFirst().joined(separator: " ") : nil))
        case "label": return .success(.label)
        case "classes": return .success(.classes)
        case "jobs": return .success(.jobs)
        case "q", "quit": return .success(.quit)
        default: return .failure(ParseError(usage))
        }
    }

    /// An epoch count: the default when none is typed; a positive whole number otherwise.
    private static func epochs(_ word: String?, default fallback: Int, usage: String) -> Result<Int, ParseError> {
        let epochs: Int? = if let word { Int(word) } else { fallback }
        guard let epochs, epochs > 0 else { return .failure(ParseError(usage)) }
        return .success(epochs)
    }
}
