import Foundation
import Learning
import PlanktermCore

/// One point of a learning curve.
public struct CurvePoint: Sendable, Codable, Equatable {
    public var labels: Int
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var ece: Double
    public var classesSeen: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case labels, accuracy
        case balancedAccuracy = "balanced_accuracy"
        case ece
        case classesSeen = "classes_seen"
        case seconds
    }
}

/// An annotation campaign with ground truth as the oracle (a strategy's learning curve against random
/// picks is the honest measure of its worth): start from `start` random
/// labels; after each round train and calibrate, score the images not yet labelled, then let the
/// strategy pick the next `step`; until `budget` labels. Nothing is written to the project.
public struct CampaignSimulation: Sendable {
    public var strategy: QueryStrategy
    public var start: Int
    public var step: Int
    public var budget: Int
    public var seed: UInt64
    public var head: HeadSettings
    public var folds: Int
    public var randomFraction: Double

    public init(
        strategy: QueryStrategy, start: Int, step: Int, budget: Int, seed: UInt64,
        head: HeadKind = .linear, folds: Int = 5, randomFraction: Double = 0.1
    ) {
        self.strategy = strategy
        self.start = start
        self.step = step
        self.budget = budget
        self.seed = seed
        self.head = HeadSettings(kind: head, seed: seed)
        self.folds = folds
        self.randomFraction = randomFraction
    }

    /// `rows` index `features`; `truth[i]` is the class (0..<classes) of `rows[i]`.
    public func run(
        features: Features, rows: [Int], truth: [Int], classes k: Int, classNames: [String],
        progress: (CurvePoint) -> Void = { _ in }
    ) -> [CurvePoint] {
        var rng = SeededGenerator(seed: seed ^ 0x5349_4D55)
        var order = Array(rows.indices)
        order.shuffle(using: &rng)
        var labelled = Array(order.prefix(min(start, rows.count)))
        var isLabelled = [Bool](repeating: false, count: rows.count)
        for i in labelled { isLabelled[i] = true }
        var curve: [CurvePoint] = []
        var round = 0
        while true {
            let began = Date()
            let present = Array(Set(labelled.map { truth[$0] })).sorted()
            let local = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
            var settings = head
            settings.seed = seed &+ UInt64(round)
            let outcome = ClassifierTraining(settings: settings, folds: folds)
                .run(
                    features, rows: labelled.map { rows[$0] }, labels: labelled.map { local[truth[$0]]! },
                    classes: present.count)
            let pool = rows.indices.filter { !isLabelled[$0] }
            guard !pool.isEmpty else { break }
            let predictions = PredictionSet(
                head: outcome.head, calibration: outcome.calibration,
                trainPrior: outcome.trainPrior, features: features,
                rows: pool.map { rows[$0] }, priorCheck: outcome.priorCheck,
                outOfFold: (outcome.outOfFoldPosteriors, outcome.outOfFoldTruth))
            // Metrics over all `k` classes: unseen classes get probability 0.
            let kp = present.count
            var corrected = [Double](repeating: 0, count: pool.count * k)
            for i in 0..<pool.count {
                for j in 0..<kp { corrected[i * k + present[j]] = predictions.corrected[i * kp + j] }
            }
            let metrics = ClassificationMetrics(probabilities: corrected, classes: k, truth: pool.map { truth[$0] })
            let point = CurvePoint(
                labels: labelled.count, accuracy: metrics.accuracy,
                balancedAccuracy: metrics.balancedAccuracy, ece: metrics.ece15,
                classesSeen: present.count, seconds: Date().timeIntervalSince(began))
            curve.append(point)
            progress(point)
            guard labelled.count < budget else { break }
            let take = min(step, budget - labelled.count, pool.count)
            let picks = QueueBuilder(strategy: strategy, randomFraction: randomFraction, seed: seed &+ UInt64(round))
                .select(
                    count: take, candidates: pool.map { rows[$0] }, posteriors: predictions.posteriors, classes: kp,
                    features: features, classNames: present.map { classNames[$0] })
            let rowToIndex = Dictionary(uniqueKeysWithValues: pool.map { (rows[$0], $0) })
            for item in picks {
                let i = rowToIndex[item.row]!
                isLabelled[i] = true
                labelled.append(i)
            }
            round += 1
        }
        return curve
    }
}
