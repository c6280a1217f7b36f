import ArgumentParser
import Foundation
import Linalg
import Project

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the project's queued jobs (train, finetune, embed, pretrain, abundance) until none is left.",
        discussion: """
            Takes the queued jobs of PROJECT one at a time, oldest first, and runs them: a 'train' job fits the \
            classifier head on the validated labels, calibrates it, predicts every image and makes the new model \
            current in one transaction; a 'finetune' job ('plankterm train --finetune') fine-tunes the encoder's \
            last stage with the labels, re-embeds every image and queues training; an 'embed' job (queued by 'plankterm import' when images were added) \
            embeds the new images and extends the neighbour graph; a 'pretrain' job ('plankterm pretrain --queue') \
            continues SimCLR from its checkpoint or starts it, then embeds every image and queues training; an 'abundance' job (':abundance' on the \
            labeling screen) writes PROJECT/reports/abundance-<model>-by-<group>.json. The labeling screen queues training after every 50 validated labels \
            (train_every in config.toml), on ':train', and when it quits with new labels; it runs jobs itself \
            while it is open. Only one job runs at a time per project, whichever process holds it; a job whose \
            process died is marked failed and the previous model stays current. The worker runs at nice 10 so \
            that labeling screens on the same machine stay responsive.

            Before it takes jobs (and, with --follow, at every look at the queue) the worker queues training \
            itself when validated labels were given after the current model was trained — imported with \
            'plankterm import --labels' or 'plankterm label --stdin' by a script — so a nightly run keeps the \
            model up to date (with --follow, once no label has been given for --settle seconds). Without \
            --follow, exits 0 once the queue is empty. To keep working after logging out of a ship's \
            server: nohup plankterm worker PROJECT --follow > worker.log 2>&1 &  (or run it in tmux, or as a \
            systemd user unit).
            """)

    @Argument(help: "The project folder.") var project: String
    @Flag(help: "Keep waiting for new jobs instead of exiting when the queue is empty.") var follow = false
    @Option(help: "Seconds between looks at the queue with --follow.") var interval: Double = 5
    @Option(
        help: ArgumentHelp(
            """
            With --follow: queue training for new labels only once none has been given for this many seconds, \
            so that someone labelling on a screen is not retrained after every key (the screen trains by itself).
            """, valueName: "SECONDS")) var settle: Double = 120

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        // Labeling screens on the same machine come first.
        Background.lowerProcessPriority()
        let runner = JobRunner(
            project: handle, imagesRoot: try? handle.imagesRoot(),
            weights: { try EmbedCommand.resolveWeights(nil, project: $0) },
            lanes: Gemm.threads)
        var failed = 0
        var queuedFor: Int64?
        repeat {
            try queueTrainingIfDue(handle, queuedFor: &queuedFor)
            let finished = try runner.drain { job in
                guard job.state != .running else { return }
                let line =
                    "job \(job.id) \(job.kind): \(job.state.rawValue) · \(Console.oneLine(job.error ?? job.message))"
                print(line)
                // A failure also goes to standard error, where scripts and cron mail look for it.
                if job.state == .failed { Console.printError("error: " + line) }
            }
            failed += finished.filter { $0.state == .failed }.count
            if follow { Thread.sleep(forTimeInterval: interval) }
        } while follow
        if let running = try handle.runningJob(limit: 20) {
            print(
                "job \(running.id) \(running.kind) is running in another process (\(running.owner ?? "?")); left to it")
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Labels imported (`import --labels`, `label --stdin`) or given since the current model was trained:
    /// queue its training, unless one is queued or running already, or nothing is embedded yet. Once per
    /// state of the labels (`queuedFor`): a training that fails is not queued again and again.
    func queueTrainingIfDue(_ handle: ProjectHandle, queuedFor: inout Int64?) throws {
        let latest = try handle.latestExpertAnnotationId()
        guard queuedFor != latest, let reason = try ClassifierRun.trainingDue(project: handle) else { return }
        if follow, let last = try handle.latestExpertAnnotationTime(), Date().timeIntervalSince(last) < settle {
            return
        }
        guard try !handle.hasUnfinishedJob(.train, limit: 50) else { return }
        guard (try? ProjectEmbeddings.load(project: handle)) != nil else {
            queuedFor = latest
            print(
                "training is due (\(reason)), but no image is embedded yet: run 'plankterm embed \(Console.oneLine(project))'"
            )
            return
        }
        let head = try handle.currentModel()?.parameters?.head ?? .linear
        let id = try handle.enqueue(.train(TrainJobParameters(head: head, reason: reason)), time: Date())
        queuedFor = latest
        print("job \(id) train: queued · \(reason)")
    }
}
