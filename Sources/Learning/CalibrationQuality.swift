import Foundation
import PlanktermCore

/// How far a model's calibration can be trusted: the out-of-fold ECE (15 bins) of its calibrated
/// probabilities with a 95 % (basic) bootstrap interval over the held-out labels.
///
/// With a few hundred labels the ECE of perfectly calibrated probabilities is itself several points
/// (its noise floor), so the interval, not the point value, says whether the figure means anything.
public struct CalibrationQuality: Sendable, Codable, Equatable {
    public var ece: Double
    public var lower: Double
    public var upper: Double
    /// Held-out labels the figure rests on.
    public var labels: Int
    /// Whether the shown probabilities can be read as frequencies: the interval's upper end is at most
    /// `trustedUpperECE`.
    public var trusted: Bool
    /// Why not, in words for the screen and reports (nil when trusted).
    public var caution: String?

    /// The ECE a biologist may take the shown percentages at face value below (the worst-case bound).
    public static let trustedUpperECE = 0.08

    public init(ece: Double, lower: Double, upper: Double, labels: Int) {
        self.ece = ece
        self.lower = lower
        self.upper = upper
        self.labels = labels
        trusted = upper <= Self.trustedUpperECE
        caution =
            trusted
            ? nil
            : String(
                format: "calibration rough: out-of-fold ECE %.3f (95 %% up to %.3f) on %d labels", ece, upper, labels)
    }

    /// Bootstraps the held-out `probabilities` (n × k) against `truth` `resamples` times (seeded).
    public init(probabilities p: [Double], classes k: Int, truth: [Int], resamples: Int = 200, seed: UInt64 = 0) {
        let n = truth.count
        let top = Probabilities.argmax(p, classes: k)
        let confidence = (0..<n).map { p[$0 * k + top[$0]] }
        let correct = (0..<n).map { top[$0] == truth[$0] }
        let ece = ClassificationMetrics.expectedCalibrationError(confidence: confidence, correct: correct, bins: 15)
        var rng = SeededGenerator(seed: seed ^ 0x4543_4542)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var c = [Double](repeating: 0, count: n), y = [Bool](repeating: false, count: n)
        for _ in 0..<(n > 0 ? resamples : 0) {
            for i in 0..<n {
                let r = Int.random(in: 0..<n, using: &rng)
                c[i] = confidence[r]
                y[i] = correct[r]
            }
            values.append(ClassificationMetrics.expectedCalibrationError(confidence: c, correct: y, bins: 15))
        }
        values.sort()
        // The basic bootstrap interval [2θ − q97.5, 2θ − q2.5]: resampling inflates ECE (it is an absolute
        // value), and the percentile interval would carry that bias; this one reflects it back.
        let q025 = values.isEmpty ? ece : values[Int(Double(values.count - 1) * 0.025)]
        let q975 = values.isEmpty ? ece : values[Int((Double(values.count - 1) * 0.975).rounded(.up))]
        let lower = max(0, 2 * ece - q975), upper = max(ece, 2 * ece - q025)
        self.init(ece: ece, lower: lower, upper: upper, labels: n)
    }
}

/// Chooses the calibration a model's labels can support (issue 15): plain temperature scaling or BCTS
/// with biases under a Gaussian prior of standard deviation σ, by cross-validation on the out-of-fold
/// logits themselves (stratified inner folds, balanced held-out NLL). With few labels per class the
/// biases cannot be told from noise and the choice falls to a narrow prior or to the temperature alone;
/// with many it reaches plain BCTS.
public enum CalibrationSelection {
    /// The candidates: nil σ is plain BCTS; `.temperature` is tried first.
    public static let biasPriorSDs: [Double?] = [0.25, 0.5, 1, nil]

    /// What was tried and what was chosen.
    public struct Outcome: Sendable, Codable, Equatable {
        public var calibration: Calibration
        /// Held-out balanced NLL per candidate, in the order of `candidates`.
        public var candidates: [String]
        public var heldOutNLL: [Double]
    }

    /// `method` .bcts selects among temperature and the priors; other methods are fitted as asked.
    public static func choose(
        _ method: Calibration.Method, logits: [Double], classes k: Int, truth: [Int],
        weights: [Double], logShares: Bool, innerFolds: Int = 3, seed: UInt64 = 0
    ) -> Outcome {
        func fit(_ m: Calibration.Method, _ z: [Double], _ t: [Int], _ w: [Double], _ sd: Double?) -> Calibration {
            Calibration.fit(m, logits: z, classes: k, truth: t, weights: w, biasPriorSD: sd)
        }
        // kNN: the floor is chosen once, by the temperature fit on all labels.
        var floor: Double?
        var z = logits
        if logShares {
            floor =
                Calibration.fit(
                    method == .none ? .none : .temperature, logShares: logits, classes: k, truth: truth,
                    weights: weights
                ).floor
            z = Calibration.applyFloor(logits, floor)
        }
        guard method == .bcts else {
            var c = fit(method, z, truth, weights, nil)
            c.floor = floor
            return Outcome(calibration: c, candidates: [method.rawValue], heldOutNLL: [])
        }
        let fold = stratifiedFolds(labels: truth, classes: k, folds: innerFolds, seed: seed ^ 0x494E_4E52)
        let candidates: [(Calibration.Method, Double?)] = [(.temperature, nil)] + biasPriorSDs.map { (.bcts, $0) }
        var scores = [Double](repeating: 0, count: candidates.count)
        let usable = Set(fold.filter { $0 >= 0 }).count >= 2
        if usable {
            for f in 0..<innerFolds {
                let held = fold.indices.filter { fold[$0] == f }, kept = fold.indices.filter { fold[$0] != f }
                guard !held.isEmpty, !kept.isEmpty else { continue }
                let zk = kept.flatMap { z[($0 * k)..<($0 * k + k)] }, zh = held.flatMap { z[($0 * k)..<($0 * k + k)] }
                let th = held.map { truth[$0] }, wh = held.map { weights[$0] }
                for (c, candidate) in candidates.enumerated() {
                    let fitted = fit(candidate.0, zk, kept.map { truth[$0] }, kept.map { weights[$0] }, candidate.1)
                    scores[c] += Calibration.nll(
                        logits: zh, classes: k, truth: th, weights: wh, total: 1,
                        temperature: fitted.temperature, bias: fitted.bias)
                }
            }
        }
        let total = weights.reduce(0, +)
        let best = usable ? scores.indices.min { scores[$0] < scores[$1] }! : 0
        var chosen = fit(candidates[best].0, z, truth, weights, candidates[best].1)
        chosen.floor = floor
        return Outcome(
            calibration: chosen,
            candidates: candidates.map {
                $0.0 == .temperature ? "temperature" : $0.1.map { "bcts sd \($0)" } ?? "bcts"
            },
            heldOutNLL: scores.map { $0 / max(total, 1e-300) })
    }
}
