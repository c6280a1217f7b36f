import Dispatch
import Foundation
import Imaging
import NN
import PlanktermCore
import Store

/// Progress of a pretraining run, reported after every step.
public struct PretrainProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var stepInEpoch: Int
    public var stepsPerEpoch: Int
    public var loss: Float
    /// Mean loss over the epoch so far.
    public var epochLoss: Float
    /// Images (pairs of views) per second over the last steps.
    public var imagesPerSecond: Double
    public var secondsLeft: Double
    public var epochFinished: Bool
}

/// What a pretraining run produced.
public struct PretrainResult: Sendable {
    public var modelId: String?
    public var weightsPath: String?
    public var interrupted: Bool
    public var steps: Int
    public var finalLoss: Float
}

/// SimCLR pretraining on a project's images (two random views of each image; the NT-Xent loss pulls a
/// pair together and pushes the batch's other views apart), resumable at any step.
///
/// Every random choice is derived from the seed: the image order of epoch e from (seed, e), the two
/// views of the i-th image of step k from (seed, e, k, i). A checkpoint (weights, BatchNorm statistics,
/// AdamW moments, step) is written after every epoch and when `shouldStop` turns true, so `resume`
/// continues to exactly the result of an uninterrupted run. The views of the next step are made on a
/// worker thread while the current step trains.
public struct Pretrainer {
    public var store: ProjectStore
    public var encoderConfig: EncoderConfig
    public var simclr: SimCLRConfig
    public var clock: any Clock
    /// The weights the run starts from (the shipped ImageNet EfficientNet-Lite0, an encoder of the
    /// project…); nil starts from random weights of `encoderConfig`. With a start, the network is the
    /// file's and only `encoderConfig.side` is taken from `encoderConfig`; the projection head is new.
    public var initialWeights: String?
    /// Lanes the encoder's steps run on (`EncoderWorkspace`): the caller's thread count.
    public var lanes: Int

    public init(
        store: ProjectStore, encoderConfig: EncoderConfig = EncoderConfig(),
        simclr: SimCLRConfig = SimCLRConfig(), initialWeights: String? = nil, lanes: Int = 1,
        clock: any Clock = SystemClock()
    ) {
        self.store = store
        self.encoderConfig = encoderConfig
        self.simclr = simclr
        self.initialWeights = initialWeights
        self.lanes = lanes
        self.clock = clock
    }

    /// The input side recorded in an encoder file (64, the ResNet's, when it records none).
    public static func side(ofWeightsAt path: String) throws -> Int {
        try Encoder.config(in: SafeTensors.read(path: path).metadata, of: path).side
    }

    /// The encoder a run starts with: `initialWeights` at `encoderConfig.side`, or random weights.
    func startingEncoder() throws -> (encoder: Encoder, from: String) {
        guard let initialWeights else { return (Encoder(encoderConfig, seed: simclr.seed), "random") }
        let (tensors, metadata) = try SafeTensors.read(path: initialWeights)
        var config = try Encoder.config(in: metadata, of: initialWeights)
        config.side = encoderConfig.side
        let encoder = Encoder(config, seed: simclr.seed)
        try encoder.load(tensors, source: initialWeights)
        return (encoder, try Self.modelId(ofWeightsAt: initialWeights))
    }

    public var checkpointPath: String { ProjectLayout(directory: store.directory).pretrainCheckpoint }

    public func run(
        imagesRoot: String, resume: Bool, shouldStop: @escaping @Sendable () -> Bool = { false },
        cacheProgress: (Int, Int) -> Void = { _, _ in },
        progress: (PretrainProgress) -> Void = { _ in }
    ) throws -> PretrainResult {
        let (encoder, start) = try startingEncoder()
        let images = try store.usableImages()
        let cache = try PixelCache(
            directory: store.directory, side: encoderConfig.side, images: images,
            imagesRoot: imagesRoot, progress: cacheProgress)
        let rows = images.compactMap { cache.rows[$0.id] }
        let batch = simclr.batch
        guard rows.count >= batch else {
            throw ProjectError.invalidOption(
                "pretraining needs at least --batch (\(batch)) images; the project has \(rows.count)")
        }
        let stepsPerEpoch = rows.count / batch
        let total = stepsPerEpoch * simclr.epochs
        let trainer = SimCLRTrainer(encoder: encoder, config: simclr, stepsPerEpoch: stepsPerEpoch, lanes: lanes)
        var fingerprint = "\(rows.count)/\(stepsPerEpoch)/\(simclr.seed)/\(simclr.batch)/\(simclr.epochs)"
        if start != "random" { fingerprint += "/from \(start)" }
        try FileManager.default.createDirectory(
            atPath: ProjectLayout(directory: store.directory).modelsFolder, withIntermediateDirectories: true)
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else {
                throw ProjectError.invalidOption("\(checkpointPath): no checkpoint to resume from")
            }
            let metadata = try trainer.restore(from: checkpointPath)
            guard metadata["plankterm.run"] == fingerprint else {
                throw ProjectError.invalidOption(
                    "\(checkpointPath): the checkpoint is of another run (images/steps/seed/batch/epochs \(metadata["plankterm.run"] ?? "?"), now \(fingerprint))"
                )
            }
        }
        let producer = ViewProducer(
            cache: cache, rows: rows, batch: batch, side: encoderConfig.side,
            seed: simclr.seed, stepsPerEpoch: stepsPerEpoch)
        var step = trainer.step
        var pending = step < total ? producer.start(step: step) : nil
        var lastLoss: Float = 0
        var epochLossSum: Double = 0
        var epochSteps = 0
        var recent: [(Date, Int)] = [(Date(), step)]
        while step < total {
            let views = producer.finish(pending!)
            trainer.input.pointer.update(from: views.pointer, count: views.count)
            pending = step + 1 < total ? producer.start(step: step + 1) : nil
            lastLoss = trainer.trainStep()
            step += 1
            epochLossSum += Double(lastLoss)
            epochSteps += 1
            let epochDone = step % stepsPerEpoch == 0
            recent.append((Date(), step))
            if recent.count > 20 { recent.removeFirst() }
            let span = recent.last!.0.timeIntervalSince(recent.first!.0)
            let rate = span > 0 ? Double((recent.last!.1 - recent.first!.1) * batch) / span : 0
            progress(
                PretrainProgress(
                    epoch: (step - 1) / stepsPerEpoch + 1, epochs: simclr.epochs,
                    stepInEpoch: (step - 1) % stepsPerEpoch + 1, stepsPerEpoch: stepsPerEpoch,
                    loss: lastLoss, epochLoss: Float(epochLossSum / Double(epochSteps)),
                    imagesPerSecond: rate,
                    secondsLeft: rate > 0 ? Double((total - step) * batch) / rate : 0,
                    epochFinished: epochDone))
            if epochDone {
                epochLossSum = 0
                epochSteps = 0
            }
            let stop = shouldStop()
            if epochDone || stop || step == total {
                try trainer.checkpoint(
                    to: checkpointPath,
                    extra: [
                        "plankterm.run": fingerprint,
                        "plankterm.epoch": String(step / stepsPerEpoch)
                    ])
            }
            if stop && step < total {
                if let pending { _ = producer.finish(pending) }
                return PretrainResult(
                    modelId: nil, weightsPath: nil, interrupted: true, steps: step, finalLoss: lastLoss)
            }
        }
        // The finished encoder: a weights file named by its content, recorded in the project.
        let layout = ProjectLayout(directory: store.directory)
        let temporary = layout.pretrainedEncoderTemporary
        try trainer.encoder.save(
            to: temporary,
            metadata: [
                "plankterm.trainer": "plankterm pretrain", "plankterm.epochs": String(simclr.epochs),
                "plankterm.seed": String(simclr.seed), "plankterm.batch": String(batch),
                "plankterm.images": String(rows.count), "plankterm.start": start
            ])
        let modelId = try Self.modelId(ofWeightsAt: temporary)
        let weights = layout.encoderWeights(encoder: modelId)
        _ = try? FileManager.default.removeItem(atPath: weights)
        try FileManager.default.moveItem(atPath: temporary, toPath: weights)
        let parameters = EncoderParameters(
            weights: weights, epochs: simclr.epochs, seed: simclr.seed, batch: batch, images: rows.count,
            finalLoss: Double(lastLoss), start: start)
        try EncoderCatalogue(store: store).register(id: modelId, parameters: parameters, createdAt: clock.now())
        return PretrainResult(
            modelId: modelId, weightsPath: weights, interrupted: false, steps: step, finalLoss: lastLoss)
    }

    /// A model id: the first 12 hex digits of the SHA-256 of the weights file.
    public static func modelId(ofWeightsAt path: String) throws -> String {
        let bytes = try FileBytes.read(path: path, name: path)
        return String(ImageInspector.hash(bytes).prefix(12))
    }
}

/// Makes the augmented views of a training step on a worker thread.
final class ViewProducer: @unchecked Sendable {
    let cache: PixelCache
    let rows: [Int]
    let batch: Int
    let side: Int
    let seed: UInt64
    let stepsPerEpoch: Int
    let augmenter: Augmenter
    private let queue = DispatchQueue(label: "plankterm.views")
    private var buffers: [FloatBuffer]
    private var next = 0

    struct Ticket {
        let group: DispatchGroup
        let buffer: FloatBuffer
    }

    init(cache: PixelCache, rows: [Int], batch: Int, side: Int, seed: UInt64, stepsPerEpoch: Int) {
        self.cache = cache
        self.rows = rows
        self.batch = batch
        self.side = side
        self.seed = seed
        self.stepsPerEpoch = stepsPerEpoch
        augmenter = Augmenter(side: side)
        buffers = [FloatBuffer(count: 2 * batch * side * side), FloatBuffer(count: 2 * batch * side * side)]
    }

    /// The order of the images in `epoch`.
    func order(epoch: Int) -> [Int] {
        var rng = SeededGenerator(seed: seed &+ 0x5EED_0000 &+ UInt64(epoch))
        return rows.shuffled(using: &rng)
    }

    /// Starts making the views of global `step` into one of two alternating buffers.
    func start(step: Int) -> Ticket {
        let buffer = buffers[next]
        next = 1 - next
        let group = DispatchGroup()
        queue.async(group: group) { [self] in fill(buffer, step: step) }
        return Ticket(group: group, buffer: buffer)
    }

    func finish(_ ticket: Ticket) -> FloatBuffer {
        ticket.group.wait()
        return ticket.buffer
    }

    private var cachedOrder: (epoch: Int, order: [Int])?

    private func fill(_ buffer: FloatBuffer, step: Int) {
        let epoch = step / stepsPerEpoch, k = step % stepsPerEpoch
        if cachedOrder?.epoch != epoch { cachedOrder = (epoch, order(epoch: epoch)) }
        let order = cachedOrder!.order
        let pixels = side * side
        var bytes = [UInt8](repeating: 0, count: pixels)
        var image = [Float](repeating: 0, count: pixels)
        for i in 0..<batch {
            bytes.withUnsafeMutableBufferPointer { cache.read(row: order[k * batch + i], into: $0.baseAddress!) }
            for p in 0..<pixels { image[p] = Float(bytes[p]) / 255 }
            var rng = SeededGenerator(
                seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
                    ^ (UInt64(k) &* 0xC2B2_AE3D_27D4_EB4F) ^ (UInt64(i) &* 0x1656_67B1_9E37_79F9))
            image.withUnsafeBufferPointer { src in
                augmenter.view(of: src.baseAddress!, into: buffer.pointer + i * pixels, using: &rng)
                augmenter.view(of: src.baseAddress!, into: buffer.pointer + (batch + i) * pixels, using: &rng)
            }
        }
    }
}
