import ArgumentParser
import Foundation
import PlanktermCore

/// The `plankterm` command: sort and label plankton images in the terminal.
@main
struct Plankterm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plankterm",
        abstract: "Sort and label plankton images in the terminal.",
        discussion: """
            A project is a folder holding an SQLite database (plankterm.sqlite) that indexes the images of one \
            images folder and keeps every label ever given. Start with 'plankterm init PROJECT --images DIR'.
            """,
        version: PlanktermVersion.string,
        subcommands: [InitCommand.self, ImportCommand.self, StatusCommand.self, LabelCommand.self,
                      ExportCommand.self])

    /// Parses the command line, runs the command, and turns every error into `error: …` on one line.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            Foundation.exit(ErrorReporting.report(error))
        }
    }
}
