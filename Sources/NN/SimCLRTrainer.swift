import Foundation

/// SimCLR training settings (METHODS §2 defaults for small batches on a CPU).
public struct SimCLRConfig: Sendable, Codable, Equatable {
    public var epochs = 15
    /// Images per step (each gives two views).
    public var batch = 128
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1e-5
    public var temperature: Float = 0.5
    /// Warm-up length in epochs (linear), then cosine decay to 0.
    public var warmupEpochs: Float = 0.5
    public var seed: UInt64 = 0

    public init() {}
}

/// One SimCLR optimisation step at a time: forward of 2B views, NT-Xent, backward, AdamW update.
///
/// The trainer's whole state — weights, BatchNorm statistics, optimizer moments and the step count —
/// is saved by `checkpoint` and restored by `restore`, so a run resumed at any step boundary continues
/// exactly as if it had not stopped (the data pipeline derives every random choice from seed, epoch and
/// step).
public final class SimCLRTrainer: @unchecked Sendable {
    public let encoder: Encoder
    public let config: SimCLRConfig
    public let workspace: EncoderWorkspace
    public private(set) var optimizer: Optimizer
    public let schedule: LearningRateSchedule
    private let gradProjection: FloatBuffer

    /// A trainer whose steps run on `lanes` lanes (see `EncoderWorkspace`).
    public init(encoder: Encoder, config: SimCLRConfig, stepsPerEpoch: Int, lanes: Int) {
        self.encoder = encoder
        self.config = config
        workspace = EncoderWorkspace(encoder: encoder, batch: 2 * config.batch, lanes: lanes)
        optimizer = Optimizer(.adamW, parameterCount: encoder.parameters.count, weightDecay: config.weightDecay)
        schedule = LearningRateSchedule(
            peak: config.learningRate,
            warmupSteps: max(1, Int(config.warmupEpochs * Float(stepsPerEpoch))),
            totalSteps: stepsPerEpoch * config.epochs)
        gradProjection = FloatBuffer(count: 2 * config.batch * encoder.config.projectionOut)
    }

    /// Steps taken so far.
    public var step: Int { optimizer.step }

    /// The input buffer for the next step: [2B, side, side, C], view a of image i at row i, view b at B + i.
    public var input: FloatBuffer { workspace.input }

    /// Trains on the views in `input`; returns the loss before the update.
    @discardableResult
    public func trainStep() -> Float {
        workspace.forward(training: true, head: true)
        let loss = NTXent.loss(
            workspace.projection.pointer, views: 2 * config.batch,
            dimension: encoder.config.projectionOut, temperature: config.temperature,
            gradient: gradProjection.pointer)
        encoder.parameters.zeroGradients()
        workspace.backward(gradProjection: gradProjection.pointer)
        optimizer.update(encoder.parameters, learningRate: schedule.rate(at: optimizer.step))
        return loss
    }

    /// Saves weights, statistics, optimizer moments, the step and `extra` (epoch, RNG seeds…) atomically.
    public func checkpoint(to path: String, extra: [String: String]) throws {
        let p = encoder.parameters
        var metadata = extra
        metadata["plankterm.step"] = String(optimizer.step)
        metadata["plankterm.simclr"] = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        metadata[Encoder.configKey] = String(decoding: try JSONEncoder().encode(encoder.config), as: UTF8.self)
        try SafeTensors.write(
            [
                "values": .init(shape: [p.values.count], values: p.values.array),
                "states": .init(shape: [p.stateValues.count], values: p.stateValues.array),
                "moments": .init(shape: [optimizer.moments.count], values: optimizer.moments.array)
            ], metadata: metadata, to: path)
    }

    /// Restores a checkpoint written by `checkpoint`; returns its metadata.
    public func restore(from path: String) throws -> [String: String] {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        let p = encoder.parameters
        guard let values = tensors["values"], values.values.count == p.values.count,
            let states = tensors["states"], states.values.count == p.stateValues.count,
            let moments = tensors["moments"], moments.values.count == optimizer.moments.count,
            let step = metadata["plankterm.step"].flatMap(Int.init)
        else { throw SafeTensors.Error.malformed(path: path, reason: "not a checkpoint of this encoder") }
        for i in 0..<values.values.count { p.values[i] = values.values[i] }
        for i in 0..<states.values.count { p.stateValues[i] = states.values[i] }
        for i in 0..<moments.values.count { optimizer.moments[i] = moments.values[i] }
        optimizer.step = step
        return metadata
    }
}
