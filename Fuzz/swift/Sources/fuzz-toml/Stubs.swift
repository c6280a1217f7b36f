// What ThemeLoading.swift uses from the rest of the `plankterm` executable target, which the fuzz build
// leaves out (it imports ArgumentParser, Store, Project…). CommandFailure and Console.oneLine are copies of
// Sources/plankterm/ErrorReporting.swift; the others only need to exist.
import Foundation
import PlanktermCore

struct CommandFailure: Error {
    var message: String
    var hint: String?
    var code: Int32 = 1
}

enum Console {
    static func oneLine(_ text: String) -> String { SafeText.visible(text) }

    static func printError(_ text: String) {}
}

enum ErrorReporting {
    static func message(_ error: any Error) -> String { String(describing: error) }
}

enum ProjectLocation {
    static func annotator(_ given: String?) -> String { given ?? "fuzz" }
}

extension Bundle {
    /// The executable target's resource bundle (built-in themes); the harness never asks for one.
    static var module: Bundle { Bundle.main }
}
