import Foundation
import Labeling
import Learning
import PlanktermCore
import Project

extension LabelScreenShell {
    /// The runtime's environment: the session and project behind its closures; `clock` stamps the jobs
    /// it queues.
    static func environment(
        project handle: ProjectHandle, imagesRoot: String, session: LabelingSession,
        settings: LabelScreenSettings, clock: any Clock
    ) -> LabelingRuntime.Environment {
        let annotator = settings.annotator
        return LabelingRuntime.Environment(
            label: { try session.label($0, className: $1, status: $2, annotator: annotator) },
            labelMany: { try session.label($0, className: $1, status: $2, annotator: annotator) },
            labelEach: { try session.label($0, status: $1, annotator: annotator) },
            undo: { try session.undo(annotator: annotator) }, redo: { try session.redo(annotator: annotator) },
            itemAt: { session.item(at: $0) }, item: { session.item($0) }, picture: { session.picture($0) },
            gridItems: { session.gridItems($0) }, tile: { session.tile($0) }, classNames: { session.classNames },
            classRows: { try session.classRows() },
            addClass: { try session.addClass($0) }, renameClass: { try session.renameClass($0, to: $1) },
            mergeClass: { try session.mergeClass($0, into: $1, annotator: annotator) },
            queue: {
                QueueSnapshot(
                    items: session.queue, name: session.queueName, modelId: session.modelId,
                    modelCaution: session.modelCaution, classNames: session.classNames)
            },
            reload: { name in try session.reload(strategy: name.flatMap(QueryStrategy.init(rawValue:))) },
            latestModelId: { session.latestModelId() },
            modelChangeSummary: { (try? ModelChangeReport.load(project: handle.directory, modelId: $0))?.summary },
            enqueue: { try handle.enqueue(job($0, settings: settings), time: clock.now()) },
            cancelJob: { try handle.cancelJob($0, time: clock.now()) },
            retryJob: { try handle.retryJob($0, time: clock.now()) },
            jobs: { try handle.jobViews() },
            export: { format, path in
                guard let format = ExportFormat(rawValue: format) else {
                    throw CommandFailure(message: "no export format \(format)")
                }
                let report = try Exporter(project: handle, imagesRoot: imagesRoot)
                    .run(ExportOptions(format: format, output: path))
                return ExportSummary(labels: report.labels, output: report.output)
            },
            runsJobs: settings.runJobs,
            vocabulary: ColonCommand.Vocabulary(
                heads: HeadKind.allCases.map(\.rawValue), queues: QueryStrategy.allCases.map(\.rawValue),
                exportFormats: ExportFormat.allCases.map(\.rawValue)))
    }

    /// The project's job for a request of the screen (names the `:` parser checked against the vocabulary).
    static func job(_ request: JobRequest, settings: LabelScreenSettings) -> Job {
        switch request {
        case .train(let reason, let head):
            .train(
                TrainJobParameters(head: head.flatMap(HeadKind.init(rawValue:)) ?? settings.trainHead, reason: reason))
        case .pretrain(let epochs): .pretrain(.adaptingShipped(epochs: epochs))
        case .finetune(let epochs): .finetune(FineTuneJobParameters(epochs: epochs))
        case .embed: .embed
        case .abundance(let by): .abundance(AbundanceJobParameters(by: by))
        }
    }
}
