extension LabelingRuntime {
    /// Parses and runs a `:` command line (a line that is none shows why on the status line).
    public mutating func command(_ text: String) throws {
        switch ColonCommand.parse(text, vocabulary: environment.vocabulary) {
        case .failure(let error): state.message = error.message
        case .success(let command): try run(command)
        }
    }

    /// Runs a parsed `:` command; the names in it are ones the parser checked against the vocabulary.
    public mutating func run(_ command: ColonCommand) throws {
        switch command {
        case .train(let head):
            queueTraining(reason: "asked for", head: head)
        case .pretrain(let epochs):
            let id = try environment.enqueue(.pretrain(epochs: epochs))
            state.message =
                "SimCLR pretraining for \(epochs) epochs queued (job \(id)): a night's work; it resumes after an interruption"
        case .finetune(let epochs):
            let id = try environment.enqueue(.finetune(epochs: epochs))
            state.message =
                "fine-tuning the encoder's last stage queued (job \(id)); then every image is embedded again"
        case .embed:
            let id = try environment.enqueue(.embed)
            state.message = "embedding new images queued (job \(id))"
        case .abundance(let by):
            let id = try environment.enqueue(.abundance(by: by))
            state.message = "abundance by \(by) queued (job \(id)): written to reports/ when done"
        case .queue(let strategy):
            guard environment.vocabulary.queues.contains(strategy) else { return }
            try environment.reload(strategy)
            adoptQueue()
            state.screen = .label
            show(0)
            state.message =
                state.modelId == nil
                ? "no model yet: the queue is the unlabelled images"
                : "queue \(strategy): \(state.items.count) images"
        case .export(let format, let path):
            guard environment.vocabulary.exportFormats.contains(format) else { return }
            let report = try environment.export(format, path)
            state.message = "exported \(report.labels) labels as \(format) to \(report.output)"
        case .grid(let name?):
            guard let match = state.matches(name).first else {
                state.message = "no class \(name)"; return
            }
            loadGrid(.predicted(match))
        case .grid(nil): loadGrid(.queue)
        case .label: try loadScreen(.label)
        case .classes: try loadScreen(.classes)
        case .jobs: try loadScreen(.jobs)
        case .quit: state.quit = true
        }
    }
}
