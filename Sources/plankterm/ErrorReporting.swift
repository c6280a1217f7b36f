import ArgumentParser
import Foundation
import Imaging
import PlanktermCore
import Project

/// The one place that turns errors into what a person reads: `error: …` on one line, perhaps a
/// `hint: …` line, and an exit code.
enum ErrorReporting {
    /// Prints `error` to standard error and returns the exit code to use.
    static func report(_ error: any Error) -> Int32 {
        let (message, hint, code): (String, String?, Int32)
        if let wording = ProjectError.wording(of: error) {
            (message, hint, code) = (wording.message, wording.hint, 1)
        } else {
            switch error {
            case let e as ImagingError: (message, hint, code) = (e.description, nil, 1)
            case let e as CommandFailure: (message, hint, code) = (e.message, e.hint, e.code)
            case let e as ExitCode: return e.rawValue
            default:
                let exitCode = Plankterm.exitCode(for: error)
                if exitCode == .success {
                    Plankterm.exit(withError: error)  // --help, --version: ArgumentParser prints them
                }
                if exitCode != .validationFailure {
                    // Not a command-line error: an OS or Foundation error that reached the top, in words.
                    FileHandle.standardError.write(Data("error: \(Console.oneLine(ErrorText.describe(error)))\n".utf8))
                    return exitCode.rawValue == 0 ? 1 : exitCode.rawValue
                }
                let full = Plankterm.message(for: error)
                let first = full.split(separator: "\n").first.map(String.init) ?? full
                message = first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
                hint = "see 'plankterm --help' or 'plankterm COMMAND --help'"
                code = exitCode.rawValue == 0 ? 1 : exitCode.rawValue
            }
        }
        FileHandle.standardError.write(Data("error: \(Console.oneLine(message))\n".utf8))
        if let hint { FileHandle.standardError.write(Data("hint: \(hint)\n".utf8)) }
        return code
    }

    /// The one-line message of an error, without printing it (for warnings).
    static func message(_ error: any Error) -> String {
        if let wording = ProjectError.wording(of: error) { return Console.oneLine(wording.message) }
        return switch error {
        case let e as CommandFailure: Console.oneLine(e.message)
        default: Console.oneLine(ErrorText.describe(error))
        }
    }
}

/// A command's own failure, already worded for people.
struct CommandFailure: Error {
    var message: String
    var hint: String?
    var code: Int32 = 1
}

/// Output helpers.
enum Console {
    /// `text` with control characters (newlines, escapes) and bidirectional overrides shown as visible
    /// symbols (`SafeText.visible`), so one message stays one safe line.
    static func oneLine(_ text: String) -> String { SafeText.visible(text) }

    /// Whether standard error is a terminal (progress lines only go there).
    static var stderrIsTTY: Bool { isatty(2) == 1 }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
