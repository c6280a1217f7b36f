import Dispatch
import Foundation
import Linalg
import PlanktermCore

/// Stratified k-fold assignment: each class's members are shuffled and dealt round-robin to the folds,
/// so every fold has the class mix of the whole. Classes with fewer than 2 members get fold −1 (always
/// trained on, never held out: they could not be predicted from the other folds).
public func stratifiedFolds(labels: [Int], classes k: Int, folds: Int, seed: UInt64) -> [Int] {
    var rng = SeededGenerator(seed: seed ^ 0x464F_4C44)
    var byClass = [[Int]](repeating: [], count: k)
    for (i, y) in labels.enumerated() { byClass[y].append(i) }
    var fold = [Int](repeating: -1, count: labels.count)
    var next = 0
    for var members in byClass where members.count >= 2 {
        members.shuffle(using: &rng)
        for i in members {
            fold[i] = next % folds
            next += 1
        }
    }
    return fold
}

/// What fitting a head with calibration produced.
public struct TrainingOutcome: Sendable {
    public var settings: HeadSettings
    public var classes: Int
    /// n_k: validated labels per class.
    public var counts: [Int]
    /// The prior the head was trained under (class-balanced: uniform).
    public var trainPrior: [Double]
    public var calibration: Calibration
    /// Out-of-fold metrics before and after calibration (held-out labels only).
    public var outOfFoldBefore: ClassificationMetrics?
    public var outOfFoldAfter: ClassificationMetrics?
    public var folds: Int
    /// The EM self-check on the out-of-fold labels (nil without folds).
    public var priorCheck: PriorCheck?
    /// The head fitted on every label.
    public var head: any ClassifierHead
}

/// Whether the EM prior estimate can be trusted with this model: EM and the mean posterior each estimate
/// the class mix of the out-of-fold labelled images, whose true mix is known; EM passes when its error
/// (Σ|π̂ − π|) is no larger than the mean posterior's. Heads whose posteriors are calibrated on average but
/// not per image (seen with the MLP head on the dev set) let EM drift to a few classes; then the shown
/// probabilities use the mean posterior as the target prior instead.
public struct PriorCheck: Sendable, Codable, Equatable {
    public var emError: Double
    public var meanPosteriorError: Double
    public var trusted: Bool { emError <= meanPosteriorError }

    public init(posteriors p: [Double], truth: [Int], classes k: Int, trainPrior: [Double], smoothing: Double) {
        let n = truth.count
        var actual = [Double](repeating: 0, count: k), mean = [Double](repeating: 0, count: k)
        for (i, y) in truth.enumerated() {
            actual[y] += 1 / Double(n)
            for j in 0..<k { mean[j] += p[i * k + j] / Double(n) }
        }
        let em = PriorShift.estimate(posteriors: p, classes: k, trainPrior: trainPrior, smoothing: smoothing).prior
        emError = zip(em, actual).reduce(0) { $0 + abs($1.0 - $1.1) }
        meanPosteriorError = zip(mean, actual).reduce(0) { $0 + abs($1.0 - $1.1) }
    }
}

/// Fits a head the way METHODS §3–§4 say: class-balanced, k-fold out-of-fold logits for every held-out
/// label, a calibration map fitted on them with balanced weights, then the head refitted on all labels.
public struct ClassifierTraining: Sendable {
    public var settings: HeadSettings
    public var calibration: Calibration.Method
    public var folds: Int

    public init(settings: HeadSettings, calibration: Calibration.Method = .bcts, folds: Int = 5) {
        self.settings = settings
        self.calibration = calibration
        self.folds = folds
    }

    /// `rows` index `features`; `labels` are classes in 0..<k, every class present at least once.
    /// `progress` receives fractions of the work done.
    public func run(_ features: Features, rows: [Int], labels: [Int], classes k: Int,
                    progress: (Double) -> Void = { _ in }) -> TrainingOutcome {
        var counts = [Int](repeating: 0, count: k)
        for y in labels { counts[y] += 1 }
        let present = counts.filter { $0 > 0 }.count
        let trainPrior = counts.map { $0 > 0 ? 1 / Double(present) : 0 }
        let fold = stratifiedFolds(labels: labels, classes: k, folds: folds, seed: settings.seed)
        var oofLogits = [Double](), oofTruth = [Int]()
        let usedFolds = Set(fold.filter { $0 >= 0 }).count
        var foldEpochs: [Int] = []
        if usedFolds >= 2 {
            // The folds are fitted two at a time (one OpenBLAS thread each): the heads' own loops (softmax,
            // line search, votes) are single-threaded, so this keeps both cores busy.
            let heldOut = (0..<folds).map { f in fold.indices.filter { fold[$0] == f } }
            var results = [(logits: [Double], epochs: Int?)?](repeating: nil, count: folds)
            let settings = self.settings
            Gemm.singleThreaded { results.withUnsafeMutableBufferPointer { buffer in
                let out = UnsafeSendable(buffer.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: folds) { f in
                    guard !heldOut[f].isEmpty else { return }
                    let kept = fold.indices.filter { fold[$0] != f }
                    let head = settings.fit(features, rows: kept.map { rows[$0] }, labels: kept.map { labels[$0] },
                                            classes: k)
                    out.pointer[f] = (head.logits(features, rows: heldOut[f].map { rows[$0] }), (head as? MLPHead)?.epochs)
                }
            } }
            for f in 0..<folds {
                guard let result = results[f] else { continue }
                oofLogits += result.logits
                oofTruth += heldOut[f].map { labels[$0] }
                if let epochs = result.epochs { foldEpochs.append(epochs) }
            }
            progress(Double(folds) / Double(folds + 1))
        }
        var fitted = Calibration.identity
        var before: ClassificationMetrics?, after: ClassificationMetrics?
        var check: PriorCheck?
        if !oofTruth.isEmpty {
            let weights = balancedWeights(labels: oofTruth, classes: k)
            if settings.kind == .knn {
                fitted = Calibration.fit(calibration, logShares: oofLogits, classes: k, truth: oofTruth, weights: weights)
            } else {
                fitted = Calibration.fit(calibration, logits: oofLogits, classes: k, truth: oofTruth, weights: weights)
            }
            // "Before": the head's own probabilities (for kNN, the plain vote shares with a 1e-4 floor).
            let raw = settings.kind == .knn ? Calibration.applyFloor(oofLogits, 1e-4) : oofLogits
            before = ClassificationMetrics(probabilities: Probabilities.softmax(raw, classes: k), classes: k,
                                           truth: oofTruth)
            let calibrated = fitted.probabilities(oofLogits, classes: k)
            after = ClassificationMetrics(probabilities: calibrated, classes: k, truth: oofTruth)
            check = PriorCheck(posteriors: calibrated, truth: oofTruth, classes: k, trainPrior: trainPrior,
                               smoothing: PredictionSet.smoothing)
        }
        var final = settings
        if settings.kind == .mlp && !foldEpochs.isEmpty { final.fixedEpochs = max(1, foldEpochs.sorted()[foldEpochs.count / 2]) }
        let head = final.fit(features, rows: rows, labels: labels, classes: k)
        progress(1)
        return TrainingOutcome(settings: settings, classes: k, counts: counts, trainPrior: trainPrior,
                               calibration: fitted, outOfFoldBefore: before, outOfFoldAfter: after,
                               folds: usedFolds, priorCheck: check, head: head)
    }
}

/// A pointer handed to `concurrentPerform` workers that write disjoint elements.
struct UnsafeSendable<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
