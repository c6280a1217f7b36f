import ArgumentParser
import Foundation
import Linalg
import NN
import PlanktermCore
import Project

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Train the image encoder on the project's images with SimCLR (no labels needed).",
        discussion: """
            Adapts the encoder to the project's images alone (SimCLR): the network sees two random views \
            of each image (crop, rotation, flips, jitter, blur, noise) and learns to tell the pairs apart \
            (NT-Xent), on the CPU with OpenBLAS. By default it starts from the shipped encoder (EfficientNet-Lite0 \
            with ImageNet weights, 128 px); --from FILE starts from another encoder file, --from scratch \
            trains plankterm's small ResNet from random weights (--side 64). Images are preprocessed once into PROJECT/cache. A checkpoint is written \
            after every epoch and on Ctrl-C (PROJECT/models/pretrain-checkpoint.safetensors); --resume \
            continues exactly where it stopped. The finished encoder is saved as \
            PROJECT/models/encoder-<id>.safetensors (PyTorch tensor names) and used by 'plankterm embed'. \
            With --queue it becomes a background job for the night (--lr and --threads then take their defaults).
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: "Passes over all images.") var epochs = PretrainJobParameters.defaultEpochs
    @Option(help: "Images per step (each gives two views).") var batch = PretrainJobParameters.defaultBatch
    @Option(
        help: "Peak learning rate (AdamW, warm-up then cosine); default 1e-4 from trained weights, 1e-3 from scratch.")
    var lr: Float?
    @Option(help: "Start from: shipped (the shipped encoder), scratch (random small ResNet) or a weights file.")
    var from = "shipped"
    @Option(help: "Seed for the initial weights, image order and augmentations.") var seed: UInt64 = 0
    @Option(help: "Threads: each runs the encoder on its share of every batch.") var threads = 2
    @Option(
        help:
            "Input side in pixels (default: the starting encoder's; \(PretrainJobParameters.scratchSide) from scratch)."
    )
    var side: Int?
    @Flag(help: "Continue from the last checkpoint (same settings).") var resume = false
    @Flag(
        help:
            "Queue the pretraining as a background job ('plankterm worker' or an open labeling screen runs it, resumes it after an interruption, then embeds every image and queues training)."
    )
    var queue = false

    func validate() throws {
        guard epochs > 0, batch > 1, (lr ?? 1) > 0, threads > 0, (side ?? 16) >= 16 else {
            throw ValidationError("--epochs, --batch (≥ 2), --lr and --threads must be positive, --side ≥ 16")
        }
    }

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        let start = try startingWeights()
        let parameters = try PretrainJobParameters.starting(
            from: start, epochs: epochs, batch: batch, side: side, learningRate: lr, seed: seed)
        if queue {
            let id = try handle.enqueue(.pretrain(parameters), time: Date())
            print("pretraining queued as job \(id): plankterm worker \(Console.oneLine(project)) runs it")
            return
        }
        let root = try handle.imagesRoot()
        Gemm.setThreads(threads)
        let stop = StopFlag()
        stop.stopOnSignals()
        let tty = Console.stderrIsTTY
        let result = try PretrainWorkflow.run(
            project: handle, parameters: parameters, imagesRoot: root, resume: resume ? .fromCheckpoint : .no,
            lanes: threads, stop: stop,
            cacheProgress: { done, total in
                if tty { FileHandle.standardError.write(Data("\rpreprocessing \(done)/\(total) images…".utf8)) }
            },
            progress: { p in
                let line = Self.describe(p)
                if p.epochFinished {
                    FileHandle.standardError.write(Data(((tty ? "\r\u{1B}[K" : "") + line + "\n").utf8))
                } else if tty {
                    FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
                }
            })
        if result.interrupted {
            print(
                "\nstopped after step \(result.steps); checkpoint saved — continue with: plankterm pretrain \(project) --resume (same options)"
            )
            throw ExitCode(130)
        }
        print(
            "encoder \(result.modelId!) saved to \(result.weightsPath!) (final loss \(String(format: "%.4f", result.finalLoss)))"
        )
        print("next: plankterm embed \(project)")
    }

    /// The weights file `--from` names (nil: from scratch).
    func startingWeights() throws -> String? {
        switch from {
        case "scratch": return nil
        case "shipped":
            guard let shipped = DefaultEncoder.path else {
                throw CommandFailure(
                    message: "the shipped encoder is not installed", hint: "give --from FILE or --from scratch")
            }
            return shipped
        default:
            guard FileManager.default.fileExists(atPath: from) else {
                throw CommandFailure(message: "\(from): no such weights file")
            }
            return from
        }
    }

    static func describe(_ p: PretrainProgress) -> String {
        let width = 24
        let filled = p.stepsPerEpoch > 0 ? width * p.stepInEpoch / p.stepsPerEpoch : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let eta = Int(p.secondsLeft)
        return String(
            format: "epoch %d/%d %@ %d/%d  loss %.4f  %.0f img/s  ETA %d:%02d:%02d",
            p.epoch, p.epochs, bar, p.stepInEpoch, p.stepsPerEpoch, p.epochLoss, p.imagesPerSecond,
            eta / 3600, eta / 60 % 60, eta % 60)
    }
}
