import Foundation
import Learning
import PlanktermCore
import Store

/// The calibration benchmark of issue 15 (`plankterm bench calibration`): on a project whose images have
/// ground truth, draws class subsets and label sets, trains a head exactly as `train` does (folds,
/// calibration, prior correction over every image of the subset) and scores the shown probabilities on
/// the images that were not labelled. Nothing is written to the project.
public struct CalibrationBenchmark: Sendable {
    /// One trained and scored draw.
    public struct Case: Sendable, Codable {
        public var draw: Int
        public var classes: Int
        public var labels: Int
        public var scored: Int
        public var head: String
        public var calibration: String
        /// What `train` reports: out-of-fold ECE after calibration and its 95 % bootstrap interval.
        public var oofECE: Double?
        public var oofECELower: Double?
        public var oofECEUpper: Double?
        public var calibrationTrusted: Bool
        /// On the images not labelled: ECE of the shown (prior-corrected) probabilities and of those before
        /// the prior correction; balanced accuracy and accuracy of the shown call (the model's call, the
        /// balanced decision argmax q, as `train` stores it) and of argmax before the correction.
        public var ece: Double
        public var eceBefore: Double
        public var balancedAccuracy: Double
        public var balancedAccuracyBefore: Double
        public var accuracy: Double
        public var accuracyBefore: Double
        /// The sample call, argmax of the shown probabilities (the call before issue 15's decision).
        public var balancedAccuracySampleCall: Double
        public var accuracySampleCall: Double
        /// Balanced accuracy and accuracy when the scored images' true class mix is the target prior.
        public var balancedAccuracyTruePrior: Double
        public var accuracyTruePrior: Double
        /// ECE when the scored images' true class mix is the target prior: what is left when the class
        /// mix is known (the shifted posteriors, without the top-label map): the calibration's own share.
        public var eceTruePrior: Double?
        /// Mean top-class probability of the shown probabilities (beside
        /// `accuracySampleCall`: over- or under-confidence at a glance).
        public var meanConfidence: Double?
        /// The shown probabilities' reliability diagram on the scored images: [count, confidence, accuracy]
        /// per 15 bins.
        public var reliability: [[Double]]?
        /// ECE of the shown probabilities without the top-label map (`PredictionSet.topLabelMap`): the
        /// prior-shifted calibrated posteriors, as shown before it.
        public var eceBeforeTopLabelMap: Double?
        public var flipped: Double?
        public var gain: Double?
        public var gainError: Double?
        public var labelledEMError: Double?
        public var labelledMeanError: Double?
        public var priorSource: String
        public var priorReason: String?
        public var seconds: Double
    }

    public var store: ProjectStore
    public init(store: ProjectStore) { self.store = store }

    /// `classes` random classes (nil: all) with `perClass` labels each (at most half of a class's
    /// images), `draws` times, seeded.
    public func run(
        truth: [ImageID: String], classes: Int?, perClass: Int, draws: Int, head: HeadKind,
        calibration: Calibration.Method = .bcts, selectCalibration: Bool = true,
        matchFoldPenalty: Bool = true, seed: UInt64 = 0, threads: Int = 2,
        report: (Case) -> Void = { _ in }
    ) throws -> [Case] {
        let embeddings = try ProjectEmbeddings.load(store: store)
        let features = embeddings.features
        var byClass: [String: [Int]] = [:]
        for (image, name) in truth {
            if let row = embeddings.rowOf[image] { byClass[name, default: []].append(row) }
        }
        for name in byClass.keys { byClass[name]!.sort() }
        let names = byClass.keys.sorted()
        var rng = SeededGenerator(seed: seed)
        var cases: [Case] = []
        for draw in 0..<draws {
            let started = Date()
            var chosen = names
            if let classes, classes < names.count {
                // Only classes with images left to score after the labels.
                let eligible = names.filter { byClass[$0]!.count >= 2 * perClass }
                chosen = Array(eligible.shuffled(using: &rng).prefix(classes)).sorted()
            }
            let (labelledRows, labelledClasses, allRows, allClasses) = Self.drawLabels(
                chosen.map { byClass[$0]! },
                perClass: perClass, using: &rng)
            let isLabelled = Set(labelledRows)
            let k = chosen.count
            var settings = HeadSettings(kind: head, seed: seed &+ UInt64(draw))
            settings.threads = threads
            var training = ClassifierTraining(settings: settings, calibration: calibration)
            training.selectCalibration = selectCalibration
            training.matchFoldPenalty = matchFoldPenalty
            let outcome = training.run(features, rows: labelledRows, labels: labelledClasses, classes: k)
            let predictions = PredictionSet(
                head: outcome.head, calibration: outcome.calibration,
                trainPrior: outcome.trainPrior, features: features, rows: allRows,
                priorCheck: outcome.priorCheck, foldHeads: outcome.foldHeads,
                outOfFold: (outcome.outOfFoldPosteriors, outcome.outOfFoldTruth))
            var shown: [Double] = [], balanced: [Double] = [], scoredTruth: [Int] = [], scoredCalls: [Int] = []
            let calls = predictions.calls
            for (i, row) in allRows.enumerated() where !isLabelled.contains(row) {
                shown += predictions.corrected[(i * k)..<((i + 1) * k)]
                balanced += predictions.posteriors[(i * k)..<((i + 1) * k)]
                scoredTruth.append(allClasses[i])
                scoredCalls.append(calls[i])
            }
            let after = ClassificationMetrics(probabilities: shown, classes: k, truth: scoredTruth, calls: scoredCalls)
            let sampleCall = ClassificationMetrics(probabilities: shown, classes: k, truth: scoredTruth)
            let before = ClassificationMetrics(probabilities: balanced, classes: k, truth: scoredTruth)
            var truthMix = [Double](repeating: 0, count: k)
            for y in scoredTruth { truthMix[y] += 1 / Double(scoredTruth.count) }
            let oracle = ClassificationMetrics(
                probabilities: Probabilities.shiftPrior(
                    balanced, classes: k, train: outcome.trainPrior, target: truthMix),
                classes: k, truth: scoredTruth)
            let decision = predictions.priorDecision
            let eceUnmapped = Self.eceWithoutTopLabelMap(
                predictions, scored: allRows.indices.filter { !isLabelled.contains(allRows[$0]) },
                truth: scoredTruth)
            let oof = outcome.calibrationQuality
            let result = Case(
                draw: draw, classes: k, labels: labelledRows.count, scored: scoredTruth.count,
                head: head.rawValue, calibration: outcome.calibration.summary,
                oofECE: oof?.ece, oofECELower: oof?.lower, oofECEUpper: oof?.upper,
                calibrationTrusted: oof?.trusted ?? false,
                ece: after.ece15, eceBefore: before.ece15, balancedAccuracy: after.balancedAccuracy,
                balancedAccuracyBefore: before.balancedAccuracy, accuracy: after.accuracy,
                accuracyBefore: before.accuracy, balancedAccuracySampleCall: sampleCall.balancedAccuracy,
                accuracySampleCall: sampleCall.accuracy, balancedAccuracyTruePrior: oracle.balancedAccuracy,
                accuracyTruePrior: oracle.accuracy, eceTruePrior: oracle.ece15,
                meanConfidence: Self.meanTopProbability(shown, classes: k),
                reliability: after.reliability.map { [Double($0.count), $0.confidence, $0.accuracy] },
                eceBeforeTopLabelMap: eceUnmapped, flipped: decision?.flipped, gain: decision?.gain,
                gainError: decision?.gainError, labelledEMError: outcome.priorCheck?.emError,
                labelledMeanError: outcome.priorCheck?.meanPosteriorError,
                priorSource: predictions.priorSource, priorReason: predictions.priorDecision?.reason,
                seconds: Date().timeIntervalSince(started))
            report(result)
            cases.append(result)
        }
        return cases
    }

    /// Up to `perClass` labelled rows of each class (at most half of its `members`), and every row with its class.
    static func drawLabels(_ members: [[Int]], perClass: Int, using rng: inout SeededGenerator)
        -> (labelled: [Int], labelledClasses: [Int], all: [Int], allClasses: [Int])
    {
        var labelled: [Int] = [], labelledClasses: [Int] = [], all: [Int] = [], allClasses: [Int] = []
        for (c, rows) in members.enumerated() {
            for row in rows.shuffled(using: &rng).prefix(min(perClass, rows.count / 2)) {
                labelled.append(row)
                labelledClasses.append(c)
            }
            all += rows
            allClasses += [Int](repeating: c, count: rows.count)
        }
        return (labelled, labelledClasses, all, allClasses)
    }

    /// ECE on the `scored` rows of `predictions` shown as before the top-label map (shifted posteriors).
    static func eceWithoutTopLabelMap(_ predictions: PredictionSet, scored: [Int], truth: [Int]) -> Double {
        let k = predictions.classes
        let unmapped = Probabilities.shiftPrior(
            predictions.posteriors, classes: k, train: predictions.trainPrior,
            target: predictions.targetPrior)
        return ClassificationMetrics(
            probabilities: scored.flatMap { unmapped[($0 * k)..<($0 * k + k)] }, classes: k,
            truth: truth
        ).ece15
    }

    static func meanTopProbability(_ p: [Double], classes k: Int) -> Double {
        let n = p.count / k
        guard n > 0 else { return 0 }
        return (0..<n).reduce(0) { $0 + p[($1 * k)..<($1 * k + k)].max()! } / Double(n)
    }
}
