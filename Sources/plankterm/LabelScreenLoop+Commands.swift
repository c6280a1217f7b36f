import Foundation
import Labeling
import Learning
import Project

extension LabelScreenLoop {
    /// The `:` command line.
    func command(_ text: String) throws {
        let parsed = ColonCommand.parse(
            text,
            vocabulary: ColonCommand.Vocabulary(
                heads: HeadKind.allCases.map(\.rawValue), queues: QueryStrategy.allCases.map(\.rawValue),
                exportFormats: ExportFormat.allCases.map(\.rawValue)))
        switch parsed {
        case .failure(let error): runtime.state.message = error.message
        case .success(let command): try runCommand(command)
        }
    }

    /// Runs a parsed `:` command; the names in it are ones the parser checked against the vocabulary.
    func runCommand(_ command: ColonCommand) throws {
        switch command {
        case .train(let head):
            runtime.queueTraining(reason: "asked for", head: head)
        case .pretrain(let epochs):
            let id = try handle.enqueue(.pretrain(.adaptingShipped(epochs: epochs)), time: clock.now())
            runtime.state.message =
                "SimCLR pretraining for \(epochs) epochs queued (job \(id)): a night's work; it resumes after an interruption"
        case .finetune(let epochs):
            let id = try handle.enqueue(.finetune(FineTuneJobParameters(epochs: epochs)), time: clock.now())
            runtime.state.message =
                "fine-tuning the encoder's last stage queued (job \(id)); then every image is embedded again"
        case .embed:
            let id = try handle.enqueue(.embed, time: clock.now())
            runtime.state.message = "embedding new images queued (job \(id))"
        case .abundance(let by):
            let id = try handle.enqueue(.abundance(AbundanceJobParameters(by: by)), time: clock.now())
            runtime.state.message = "abundance by \(by) queued (job \(id)): written to reports/ when done"
        case .queue(let name):
            guard let strategy = QueryStrategy(rawValue: name) else { return }
            try session.reload(strategy: strategy)
            adoptSessionQueue()
            runtime.state.screen = .label
            runtime.show(0)
            runtime.state.message =
                session.modelId == nil
                ? "no model yet: the queue is the unlabelled images"
                : "queue \(strategy.rawValue): \(runtime.state.items.count) images"
        case .export(let name, let path):
            guard let format = ExportFormat(rawValue: name) else { return }
            let report = try Exporter(project: handle, imagesRoot: imagesRoot)
                .run(ExportOptions(format: format, output: path))
            runtime.state.message = "exported \(report.labels) labels as \(format.rawValue) to \(report.output)"
        case .grid(let name?):
            guard let match = runtime.state.matches(name).first else {
                runtime.state.message = "no class \(name)"; return
            }
            loadGrid(.predicted(match))
        case .grid(nil): loadGrid(.queue)
        case .label: try loadScreen(.label)
        case .classes: try loadScreen(.classes)
        case .jobs: try loadScreen(.jobs)
        case .quit: runtime.state.quit = true
        }
    }
}
