import ArgumentParser
import Foundation
import Linalg
import NN
import PlanktermCore
import Terminal

/// The `plankterm` command: sort and label plankton images in the terminal.
@main
struct Plankterm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plankterm",
        abstract: "Sort and label plankton images in the terminal.",
        discussion: """
            A project is a folder holding an SQLite database (plankterm.sqlite) that indexes the images of one \
            images folder and keeps every label ever given. Start with 'plankterm init PROJECT --images DIR' \
            (then embed, train and label), or see it all at once with 'plankterm demo'. While you label, training \
            runs in the background; between sessions 'plankterm worker PROJECT' runs the queued jobs, and \
            'plankterm report PROJECT' says what the latest model changed.
            """,
        version: PlanktermVersion.string,
        subcommands: [
            InitCommand.self, ImportCommand.self, StatusCommand.self, LabelCommand.self,
            ExportCommand.self, PretrainCommand.self, EmbedCommand.self, NeighborsCommand.self,
            TrainCommand.self, EvalCommand.self, QueueCommand.self, DemoCommand.self, SimulateCommand.self,
            AbundanceCommand.self,
            WorkerCommand.self, ReportCommand.self, ModelsCommand.self, BenchCommand.self
        ])

    /// Parses the command line, runs the command, and turns every error into `error: …` on one line.
    static func main() {
        // Each line reaches a log as it is printed (`worker --follow > worker.log`), not when a 4 KB
        // buffer fills or the process ends.
        StandardOutput.flushEachLine()
        unblockStopSignals()
        // The environment is read here, once; what it tunes is passed on explicitly.
        let environment = ProcessInfo.processInfo.environment
        selectBLASKernel(environment: environment)
        if let rows = environment["PLANKTERM_CONV_ROWS"].flatMap({ Int($0) }) { Conv2d.setDefaultRowsPerChunk(rows) }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            Foundation.exit(ErrorReporting.report(error))
        }
    }

    /// A parent may start us with signals blocked (threads of job runners and test harnesses block most,
    /// and a child inherits the mask): Ctrl-C, SIGTERM and SIGHUP must still stop a worker or a screen.
    static func unblockStopSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// For the commands that train or embed: when OpenBLAS picked a kernel weaker than this CPU supports,
    /// run again with OPENBLAS_CORETYPE set (OpenBLAS reads it only at load time).
    static func selectBLASKernel(environment: [String: String]) {
        let arguments = CommandLine.arguments
        guard arguments.count > 1,
            ["pretrain", "embed", "bench", "train", "simulate", "neighbors", "demo", "label", "worker"].contains(
                arguments[1]),
            environment["PLANKTERM_BLAS_REEXEC"] == nil,
            let core = BLASKernel.recommendedCoreType(environment: environment)
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("PLANKTERM_BLAS_REEXEC", "1", 1)
        var argv = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // exec failed: carry on with the kernel we have
    }
}
