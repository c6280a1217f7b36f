import Foundation
import Learning
import PlanktermCore
import Store

/// A background job as the runner sees it: its kind and its parameters, typed. The `job` table stores the
/// kind's name and the parameters' JSON (as it always has, so jobs queued by an older plankterm still run);
/// this is the one place where the names are spelled and the JSON is read, and a job whose parameters do
/// not read fails with the reason instead of running with defaults.
public enum Job: Sendable, Equatable {
    /// Fit a classifier head on the embeddings and install it.
    case train(TrainJobParameters)
    /// Embed the images that have no embedding yet and extend the neighbour graph.
    case embed
    /// SimCLR (continued from its checkpoint when there is one), then embed and queue training.
    case pretrain(PretrainJobParameters)
    /// Fine-tune the encoder's last stage with the validated labels, then embed and queue training.
    case finetune(FineTuneJobParameters)
    /// Estimate the class mix of every group and write the report.
    case abundance(AbundanceJobParameters)

    /// The names stored in `job.kind`.
    public enum Kind: String, Sendable, CaseIterable {
        case train, embed, pretrain, finetune, abundance
    }

    public var kind: Kind {
        switch self {
        case .train: .train
        case .embed: .embed
        case .pretrain: .pretrain
        case .finetune: .finetune
        case .abundance: .abundance
        }
    }

    /// Reads a stored job: its kind's name and its parameters' JSON. An unknown kind or parameters that
    /// are not JSON, name a field the kind does not have, or hold a value it cannot use are refused
    /// (`unknownJobKind`, `badJobParameters`) with what is wrong.
    public init(kind name: String, parameters: String) throws(ProjectError) {
        guard let kind = Kind(rawValue: name) else {
            throw .unknownJobKind(name, known: Kind.allCases.map(\.rawValue))
        }
        do {
            switch kind {
            case .train: self = .train(try Self.decode(parameters))
            case .embed: _ = try Self.decode(parameters) as NoJobParameters; self = .embed
            case .pretrain: self = .pretrain(try Self.decode(parameters))
            case .finetune: self = .finetune(try Self.decode(parameters))
            case .abundance: self = .abundance(try Self.decode(parameters))
            }
        } catch {
            throw .badJobParameters(kind: name, parameters: parameters, reason: Self.reason(error))
        }
    }

    public init(_ record: JobRecord) throws(ProjectError) {
        try self.init(kind: record.kind, parameters: record.parameters)
    }

    /// The parameters as stored: JSON with sorted keys, one line.
    public var parametersJSON: String {
        let json: String?
        switch self {
        case .train(let p): json = try? ClassifierRun.json(p)
        case .embed: json = "{}"
        case .pretrain(let p): json = try? ClassifierRun.json(p)
        case .finetune(let p): json = try? ClassifierRun.json(p)
        case .abundance(let p): json = try? ClassifierRun.json(p)
        }
        // Encoding these structs of numbers and strings cannot fail.
        return json ?? "{}"
    }

    /// Whether two jobs would do the same work: the same kind with the same settings. A training's
    /// `reason` is a note for the person, not a setting, and a setting left out equals its default.
    public func isSameWork(as other: Job) -> Bool {
        switch (self, other) {
        case (.train(let a), .train(let b)): a.work == b.work
        default: self == other
        }
    }

    private static func decode<T: Decodable>(_ parameters: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(parameters.utf8))
    }

    private static func reason(_ error: any Error) -> String {
        // The whole text was read but is not an object (`[]`, `3`): say so rather than "a field of the wrong kind".
        if case DecodingError.typeMismatch(_, let context) = error, context.codingPath.isEmpty {
            return "not a JSON object"
        }
        return ErrorText.describe(error)
    }
}

extension ProjectStore {
    /// Queues `job`, unless a pending job would do the same work (then returns that one): `:train mlp`
    /// behind a pending linear training is a second job, a second `:train` is not.
    @discardableResult
    public func enqueue(_ job: Job, time: Date) throws(StoreError) -> Int64 {
        try enqueueJob(kind: job.kind.rawValue, parameters: job.parametersJSON, time: time) { pending in
            (try? Job(kind: job.kind.rawValue, parameters: pending)).map(job.isSameWork) ?? false
        }
    }
}

extension JobRecord {
    /// The kind of job this is, if plankterm knows it.
    public var jobKind: Job.Kind? { Job.Kind(rawValue: kind) }
}

/// What a `train` job does, as its parameters JSON.
public struct TrainJobParameters: Codable, Sendable, Equatable {
    /// What a training not told otherwise does (`plankterm train`, `:train`, a training queued by a new
    /// encoder): a linear head, bias-corrected temperature scaling fitted on 5 folds, seed 0.
    public static let defaultHead = HeadKind.linear
    public static let defaultCalibration = Calibration.Method.bcts
    public static let defaultFolds = 5
    public static let defaultSeed: UInt64 = 0

    public var head: HeadKind
    public var reason: String
    public var calibration: Calibration.Method?
    public var folds: Int?
    public var seed: UInt64?

    public init(
        head: HeadKind = TrainJobParameters.defaultHead, reason: String, calibration: Calibration.Method? = nil,
        folds: Int? = nil,
        seed: UInt64? = nil
    ) {
        self.head = head
        self.reason = reason
        self.calibration = calibration
        self.folds = folds
        self.seed = seed
    }

    /// The classifier's settings, defaults filled in, its k-NN search on `threads` threads.
    public func settings(threads: Int) -> ClassifierSettings {
        ClassifierSettings(
            head: head, seed: seed ?? Self.defaultSeed, calibration: calibration ?? Self.defaultCalibration,
            folds: folds ?? Self.defaultFolds, threads: threads)
    }

    /// The settings alone, defaults filled in: what decides whether two trainings are the same work.
    var work: TrainJobParameters {
        TrainJobParameters(
            head: head, reason: "", calibration: calibration ?? Self.defaultCalibration,
            folds: folds ?? Self.defaultFolds, seed: seed ?? Self.defaultSeed)
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case head, reason, calibration, folds, seed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, of: .train)
        head = try c.decodeChoiceIfPresent(HeadKind.self, forKey: .head) ?? Self.defaultHead
        reason = try c.decodeIfPresent(String.self, forKey: .reason) ?? ""
        calibration = try c.decodeChoiceIfPresent(Calibration.Method.self, forKey: .calibration)
        folds = try c.decodeIfPresent(Int.self, forKey: .folds)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        try c.require((folds ?? 2) >= 2, forKey: .folds, "must be at least 2, not \(folds ?? 0)")
    }
}

/// What a `pretrain` job does (continue SimCLR from its checkpoint, or start one), as its parameters JSON.
public struct PretrainJobParameters: Codable, Sendable, Equatable {
    /// Passes over all images unless told otherwise (`plankterm pretrain --epochs`, `:pretrain`).
    public static let defaultEpochs = 15
    /// Images per step unless told otherwise (each gives two views).
    public static let defaultBatch = 128
    /// The input side of a run from random weights (a run from a weights file takes the file's).
    public static let scratchSide = 64
    /// The peak learning rate of a run given none: from random weights, and from trained weights.
    public static let scratchLearningRate: Float = 1e-3
    public static let adaptingLearningRate: Float = 1e-4

    public var epochs = PretrainJobParameters.defaultEpochs
    public var batch = PretrainJobParameters.defaultBatch
    public var side = PretrainJobParameters.scratchSide
    public var seed: UInt64 = 0
    /// The weights to start from (nil: random weights; jobs queued before there was a choice).
    public var initialWeights: String?
    /// The peak learning rate; nil: `peakLearningRate`'s choice for the start.
    public var learningRate: Float?

    public init(
        epochs: Int = PretrainJobParameters.defaultEpochs, batch: Int = PretrainJobParameters.defaultBatch,
        side: Int = PretrainJobParameters.scratchSide, seed: UInt64 = 0, initialWeights: String? = nil,
        learningRate: Float? = nil
    ) {
        self.epochs = epochs
        self.batch = batch
        self.side = side
        self.seed = seed
        self.initialWeights = initialWeights
        self.learningRate = learningRate
    }

    /// A run from `initialWeights` (nil: from random weights) with what is not given taken from that
    /// start: the input side recorded in the weights file (`scratchSide` from random weights) and the
    /// start's `peakLearningRate`. Throws when the weights file cannot be read.
    public static func starting(
        from initialWeights: String?, epochs: Int = defaultEpochs, batch: Int = defaultBatch, side: Int? = nil,
        learningRate: Float? = nil, seed: UInt64 = 0
    ) throws -> PretrainJobParameters {
        let side = try side ?? initialWeights.map { try Pretrainer.side(ofWeightsAt: $0) } ?? scratchSide
        var parameters = PretrainJobParameters(
            epochs: epochs, batch: batch, side: side, seed: seed, initialWeights: initialWeights)
        parameters.learningRate = learningRate ?? parameters.peakLearningRate
        return parameters
    }

    /// An adaptation of the shipped encoder (at its side, learning rate 10⁻⁴) for `epochs`; from scratch
    /// when the shipped encoder is not installed.
    public static func adaptingShipped(epochs: Int) -> PretrainJobParameters {
        guard let shipped = DefaultEncoder.path, let adapting = try? starting(from: shipped, epochs: epochs) else {
            return PretrainJobParameters(epochs: epochs)
        }
        return adapting
    }

    /// The peak learning rate the run uses: `learningRate`, else `adaptingLearningRate` from trained
    /// weights and `scratchLearningRate` from random ones.
    public var peakLearningRate: Float {
        learningRate ?? (initialWeights == nil ? Self.scratchLearningRate : Self.adaptingLearningRate)
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case epochs, batch, side, seed, initialWeights, learningRate }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, of: .pretrain)
        let d = PretrainJobParameters()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? d.batch
        side = try c.decodeIfPresent(Int.self, forKey: .side) ?? d.side
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        initialWeights = try c.decodeIfPresent(String.self, forKey: .initialWeights)
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate)
        try c.require(epochs > 0, forKey: .epochs, "must be positive, not \(epochs)")
        try c.require(batch >= 2, forKey: .batch, "must be at least 2, not \(batch)")
        try c.require(side >= 16, forKey: .side, "must be at least 16, not \(side)")
        try c.require((learningRate ?? 1) > 0, forKey: .learningRate, "must be positive")
    }
}

/// What a `finetune` job does, as its parameters JSON.
public struct FineTuneJobParameters: Codable, Sendable, Equatable {
    /// One pass unless told otherwise (`plankterm train --finetune --epochs`, `:finetune`): on the dev set
    /// with 20 labels a class, 1 epoch helped a little and 3 overfitted.
    public static let defaultEpochs = 1

    public var epochs = FineTuneJobParameters.defaultEpochs
    public var batch = 64
    public var learningRate: Float = 3e-4
    public var seed: UInt64 = 0

    public init(
        epochs: Int = FineTuneJobParameters.defaultEpochs, batch: Int = 64, learningRate: Float = 3e-4,
        seed: UInt64 = 0
    ) {
        self.epochs = epochs
        self.batch = batch
        self.learningRate = learningRate
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case epochs, batch, learningRate, seed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, of: .finetune)
        let d = FineTuneJobParameters()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? d.batch
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        try c.require(epochs > 0, forKey: .epochs, "must be positive, not \(epochs)")
        try c.require(batch > 0, forKey: .batch, "must be positive, not \(batch)")
        try c.require(learningRate > 0, forKey: .learningRate, "must be positive")
    }
}

/// What an `abundance` job does, as its parameters JSON.
public struct AbundanceJobParameters: Codable, Sendable, Equatable {
    /// `folder`, or the name of an imported metadata column.
    public var by: String

    /// Groups by folder unless told otherwise (`plankterm abundance --by`, `:abundance`).
    public static let defaultGrouping = "folder"

    public init(by: String = AbundanceJobParameters.defaultGrouping) { self.by = by }

    enum CodingKeys: String, CodingKey, CaseIterable { case by }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, of: .abundance)
        by = try c.decodeIfPresent(String.self, forKey: .by) ?? Self.defaultGrouping
        try c.require(!by.isEmpty, forKey: .by, "must be folder or the name of a metadata column")
    }
}

/// An `embed` job has no parameters: `{}`.
private struct NoJobParameters: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case none }

    init(from decoder: any Decoder) throws {
        _ = try decoder.strictContainer(keyedBy: CodingKeys.self, of: .embed, allowed: [])
    }
}

/// Any key of a JSON object, to find the ones a job does not know.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension Decoder {
    /// The keyed container of a job's parameters, refusing a field the job does not have (a misspelt
    /// `epoch` would otherwise run the default number of epochs without a word).
    fileprivate func strictContainer<K: CodingKey & CaseIterable>(
        keyedBy type: K.Type, of kind: Job.Kind,
        allowed: [K]? = nil
    )
        throws -> KeyedDecodingContainer<K>
    {
        let known = (allowed ?? Array(K.allCases)).map(\.stringValue)
        let all = try container(keyedBy: AnyKey.self)
        if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            let fields = known.isEmpty ? "they have none" : "their fields: " + known.sorted().joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: AnyKey(stringValue: unknown), in: all,
                debugDescription:
                    "not a field of \(kind.rawValue) jobs (\(fields))")
        }
        return try container(keyedBy: K.self)
    }
}

extension KeyedDecodingContainer {
    /// A value named by its raw value, refused with the choices when it is not one of them.
    fileprivate func decodeChoiceIfPresent<T: RawRepresentable & CaseIterable>(_ type: T.Type, forKey key: Key) throws
        -> T?
    where T.RawValue == String {
        guard let name = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = T(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self,
                debugDescription:
                    "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \(name.debugDescription)"
            )
        }
        return value
    }

    fileprivate func require(_ condition: Bool, forKey key: Key, _ reason: @autoclosure () -> String) throws {
        guard condition else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: reason())
        }
    }
}
