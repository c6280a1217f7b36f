import ArgumentParser
import Foundation
import Project
import Store

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

            Without --follow, exits 0 once the queue is empty. To keep working after logging out of a ship's \
            server: nohup plankterm worker PROJECT --follow > worker.log 2>&1 &  (or run it in tmux, or as a \
            systemd user unit).
            """)

    @Argument(help: "The project folder.") var project: String
    @Flag(help: "Keep waiting for new jobs instead of exiting when the queue is empty.") var follow = false
    @Option(help: "Seconds between looks at the queue with --follow.") var interval: Double = 5

    func run() throws {
        let store = try ProjectStore.open(at: project)
        // Labeling screens on the same machine come first.
        Background.lowerProcessPriority()
        let runner = JobRunner(store: store, imagesRoot: try? ProjectLocation.imagesRoot(of: store),
                               weights: { try EmbedCommand.resolveWeights(nil, store: $0) })
        var failed = 0
        repeat {
            let finished = try runner.drain { job in
                if job.state != .running { print("job \(job.id) \(job.kind): \(job.state.rawValue) · \(job.error ?? job.message)") }
            }
            failed += finished.filter { $0.state == .failed }.count
            if follow { Thread.sleep(forTimeInterval: interval) }
        } while follow
        if let running = try store.jobs(limit: 20).first(where: { $0.state == .running }) {
            print("job \(running.id) \(running.kind) is running in another process (\(running.owner ?? "?")); left to it")
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
