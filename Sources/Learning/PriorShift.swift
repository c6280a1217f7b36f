import Foundation
import PlanktermCore

/// Estimating and correcting for a class mix that differs from the one a classifier was trained under
/// (METHODS §5).
public enum PriorShift {
    /// The result of the EM estimate.
    public struct Estimate: Sendable, Codable, Equatable {
        /// π̂: the estimated class mix of the images.
        public var prior: [Double]
        public var iterations: Int
        public var converged: Bool
        /// Σ_i w_ik: the expected number of images of each class under π̂ (N·π̂ without smoothing).
        public var expectedCounts: [Double]
    }

    /// Saerens et al. (2002): EM for the class mix π of N images given calibrated posteriors
    /// `posteriors` (N × k) computed under `trainPrior`. E-step w_ik ∝ (π_k / π_train,k) p(k|x_i);
    /// M-step π_k = (Σ_i w_ik + α) / (N + kα). Stops when max|Δπ| < `tolerance` or after `maxIterations`.
    ///
    /// With an `anchor` m (a class mix, usually the mean posterior) the pseudo-counts follow it instead
    /// of being equal: π_k = (Σ_i w_ik + A·m_k) / (N + A) with A = kα, the MAP estimate under a
    /// Dirichlet prior of mean m and concentration A (+1 per class). With m uniform this is the formula
    /// above; with m the mean posterior, a class EM would drive to 0 or to most of the sample has to be
    /// supported by the images against A pseudo-images that say otherwise.
    public static func estimate(posteriors p: [Double], classes k: Int, trainPrior: [Double],
                                smoothing alpha: Double = 1, anchor: [Double]? = nil, tolerance: Double = 1e-6,
                                maxIterations: Int = 1_000) -> Estimate {
        let n = p.count / k
        var prior = trainPrior
        var counts = [Double](repeating: 0, count: k)
        var iterations = 0, converged = false
        var w = [Double](repeating: 0, count: k)
        while iterations < maxIterations {
            iterations += 1
            for j in 0..<k { counts[j] = 0 }
            let ratio = (0..<k).map { trainPrior[$0] > 0 ? prior[$0] / trainPrior[$0] : 0 }
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<k { w[j] = ratio[j] * p[i * k + j]; sum += w[j] }
                guard sum > 0 else { continue }
                for j in 0..<k { counts[j] += w[j] / sum }
            }
            let supported = (0..<k).filter { trainPrior[$0] > 0 }.count
            var next = [Double](repeating: 0, count: k)
            if let anchor {
                let strength = Double(supported) * alpha
                let mass = (0..<k).reduce(0.0) { trainPrior[$1] > 0 ? $0 + anchor[$1] : $0 }
                for j in 0..<k where trainPrior[j] > 0 {
                    next[j] = (counts[j] + strength * anchor[j] / max(mass, 1e-300)) / (Double(n) + strength)
                }
            } else {
                for j in 0..<k where trainPrior[j] > 0 {
                    next[j] = (counts[j] + alpha) / (Double(n) + Double(supported) * alpha)
                }
            }
            let change = zip(next, prior).reduce(0) { max($0, abs($1.0 - $1.1)) }
            prior = next
            if change < tolerance { converged = true; break }
        }
        return Estimate(prior: prior, iterations: iterations, converged: converged, expectedCounts: counts)
    }

    /// The mean calibrated posterior of the images (rows of `p`): the class mix without EM.
    public static func meanPosterior(_ p: [Double], classes k: Int) -> [Double] {
        let n = p.count / k
        var mean = [Double](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k { mean[j] += p[i * k + j] } }
        return mean.map { n > 0 ? $0 / Double(n) : 1 / Double(k) }
    }

    /// Per image, log Σ_k (π_k / π_train,k) p(k|x_i): the log-likelihood of the images under the mix π, up
    /// to a constant that does not depend on π (what EM climbs).
    public static func logLikelihoods(posteriors p: [Double], classes k: Int, trainPrior: [Double],
                                      prior: [Double]) -> [Double] {
        let n = p.count / k
        let ratio = (0..<k).map { trainPrior[$0] > 0 ? prior[$0] / trainPrior[$0] : 0 }
        return (0..<n).map { i in
            var sum = 0.0
            for j in 0..<k { sum += ratio[j] * p[i * k + j] }
            return log(max(sum, 1e-300))
        }
    }
}

/// Abundance of each class in a group of images, four ways (METHODS §5, issue 15).
public struct AbundanceEstimate: Sendable, Codable, Equatable {
    public var images: Int
    /// Count of argmax predictions (classify and count).
    public var classifyAndCount: [Double]
    /// Σ_i p(k|x_i) of the calibrated posteriors under π_train.
    public var expectedCounts: [Double]
    /// Adjusted classify-and-count: the class mix π whose expected argmax counts C·π (C the out-of-fold
    /// confusion, P(predicted j | true k)) best explain the counts (maximum likelihood over the simplex),
    /// times N; with its 95 % interval. nil without out-of-fold data.
    public var adjusted: [Double]?
    public var adjustedLower: [Double]?
    public var adjustedUpper: [Double]?
    /// N · π̂ from EM, and a 95 % interval for it.
    public var corrected: [Double]
    public var correctedLower: [Double]
    public var correctedUpper: [Double]
    public var iterations: Int
    /// Whether the intervals carry the classifier's uncertainty (out-of-fold data given) or only the
    /// resampling of the group's images.
    public var includesClassifierUncertainty: Bool

    /// The weight, in images, of the Dirichlet anchor toward the mean posterior in a group's EM. The shown
    /// prior's kα (121 pseudo-images with the dev set's classes) is negligible against a project of 13,018
    /// images but not against a sample of 300: tuned on the dev set's shifted samples (20 labels a class,
    /// 50 samples), 121 under-counted the dominant class by 45 images on average, 10 by 23, 1 by 19, and
    /// the mean Σ|error| fell from 168 to 136; 1 keeps a class from collapsing to exactly 0.
    public static let anchorImages = 1.0

    /// The classifier's out-of-fold record: calibrated posteriors (n × k, under π_train) of held-out
    /// labelled images and their true classes.
    public struct OutOfFold: Sendable {
        public var posteriors: [Double]
        public var truth: [Int]
        public init(posteriors: [Double], truth: [Int]) {
            self.posteriors = posteriors
            self.truth = truth
        }
    }

    /// Estimates the abundance of `p` (N × k calibrated posteriors under `trainPrior`). `bootstrap`
    /// replicates (seeded) give the intervals; 0 skips them. Each replicate resamples the group's images
    /// and, with `outOfFold`, the held-out labelled images within each class: ACC then uses that
    /// replicate's confusion matrix, and EM's posteriors are tilted by the replicate's per-class
    /// calibration error, log(n_k / Σ_i p_ik) against the full record's, so that the interval covers what
    /// the classifier does not know as well as the sampling noise. Count intervals are widened to whole
    /// images (floor, ceiling): the truth is a count.
    ///
    /// `smoothing` α (per class, as `PriorShift.estimate`) defaults to `anchorImages` / k: the Dirichlet
    /// anchor is then worth `anchorImages` images whatever the number of classes.
    public init(posteriors p: [Double], classes k: Int, trainPrior: [Double], smoothing: Double? = nil,
                bootstrap: Int = 100, seed: UInt64 = 0, outOfFold: OutOfFold? = nil) {
        let smoothing = smoothing ?? Self.anchorImages / Double(k)
        let n = p.count / k
        images = n
        var cc = [Double](repeating: 0, count: k), expected = [Double](repeating: 0, count: k)
        for (i, y) in Probabilities.argmax(p, classes: k).enumerated() {
            cc[y] += 1
            for j in 0..<k { expected[j] += p[i * k + j] }
        }
        classifyAndCount = cc
        expectedCounts = expected
        includesClassifierUncertainty = outOfFold != nil
        let anchor = PriorShift.meanPosterior(p, classes: k)
        let estimate = PriorShift.estimate(posteriors: p, classes: k, trainPrior: trainPrior, smoothing: smoothing,
                                           anchor: anchor)
        corrected = estimate.prior.map { $0 * Double(n) }
        iterations = estimate.iterations
        var byClass = [[Int]](repeating: [], count: k)
        var oofTop: [Int] = []
        if let outOfFold {
            for (i, y) in outOfFold.truth.enumerated() { byClass[y].append(i) }
            oofTop = Probabilities.argmax(outOfFold.posteriors, classes: k)
            let confusion = Self.confusion(top: oofTop, truth: outOfFold.truth, members: byClass, classes: k)
            adjusted = Self.adjustedCount(counts: cc, confusion: confusion, classes: k).map { $0 * Double(n) }
        }
        guard bootstrap > 0, n > 0 else {
            correctedLower = corrected
            correctedUpper = corrected
            adjustedLower = adjusted
            adjustedUpper = adjusted
            return
        }
        // Per-class calibration error of the full record: log(n_k / Σ_i p_ik).
        func calibrationError(_ members: [[Int]]) -> [Double] {
            guard let outOfFold else { return [Double](repeating: 0, count: k) }
            var mass = [Double](repeating: 0, count: k), count = [Double](repeating: 0, count: k)
            for c in 0..<k {
                for i in members[c] {
                    count[c] += 1
                    for j in 0..<k { mass[j] += outOfFold.posteriors[i * k + j] }
                }
            }
            return (0..<k).map { count[$0] > 0 && mass[$0] > 0 ? log(count[$0] / mass[$0]) : 0 }
        }
        let baseError = calibrationError(byClass)
        var rng = SeededGenerator(seed: seed)
        var emSamples = [[Double]](repeating: [], count: k), accSamples = [[Double]](repeating: [], count: k)
        var resampled = [Double](repeating: 0, count: n * k)
        for _ in 0..<bootstrap {
            var tilt = [Double](repeating: 1, count: k)
            var members = byClass
            if outOfFold != nil {
                members = byClass.map { m in m.isEmpty ? m : m.map { _ in m[Int.random(in: 0..<m.count, using: &rng)] } }
                let error = calibrationError(members)
                tilt = (0..<k).map { exp(error[$0] - baseError[$0]) }
            }
            var counts = [Double](repeating: 0, count: k)
            for i in 0..<n {
                let r = Int.random(in: 0..<n, using: &rng)
                var sum = 0.0, best = 0
                for j in 0..<k {
                    let v = p[r * k + j] * tilt[j]
                    resampled[i * k + j] = v
                    sum += v
                    if p[r * k + j] > p[r * k + best] { best = j }
                }
                for j in 0..<k { resampled[i * k + j] /= sum }
                counts[best] += 1
            }
            let b = PriorShift.estimate(posteriors: resampled, classes: k, trainPrior: trainPrior, smoothing: smoothing,
                                        anchor: PriorShift.meanPosterior(resampled, classes: k), tolerance: 1e-5,
                                        maxIterations: 300)
            for j in 0..<k { emSamples[j].append(b.prior[j] * Double(n)) }
            if outOfFold != nil {
                let confusion = Self.confusion(top: oofTop, truth: outOfFold!.truth, members: members, classes: k)
                let a = Self.adjustedCount(counts: counts, confusion: confusion, classes: k, maxIterations: 300)
                for j in 0..<k { accSamples[j].append(a[j] * Double(n)) }
            }
        }
        func interval(_ samples: [[Double]]) -> (lower: [Double], upper: [Double]) {
            (samples.map { s in let t = s.sorted(); return Foundation.floor(t[Int(Double(t.count - 1) * 0.025)]) },
             samples.map { s in let t = s.sorted(); return Foundation.ceil(t[Int((Double(t.count - 1) * 0.975).rounded(.up))]) })
        }
        (correctedLower, correctedUpper) = interval(emSamples)
        if outOfFold != nil { (adjustedLower, adjustedUpper) = interval(accSamples) }
    }

    /// C[j * k + c] = P(predicted j | true c) over the out-of-fold `members` of each class c.
    static func confusion(top: [Int], truth: [Int], members: [[Int]], classes k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: k * k)
        for (y, list) in members.enumerated() where !list.isEmpty {
            for i in list { c[top[i] * k + y] += 1 / Double(list.count) }
        }
        return c
    }

    /// Maximum-likelihood class mix π (over the simplex) of argmax `counts` given the confusion C:
    /// counts_j ~ N·(Cπ)_j. EM for mixture weights: π_c ← π_c Σ_j (counts_j / N) C_jc / (Cπ)_j. Classes
    /// without out-of-fold labels keep π = 0.
    public static func adjustedCount(counts: [Double], confusion c: [Double], classes k: Int,
                                     maxIterations: Int = 1_000, tolerance: Double = 1e-7) -> [Double] {
        let total = counts.reduce(0, +)
        guard total > 0 else { return [Double](repeating: 0, count: k) }
        let known = (0..<k).map { y in (0..<k).contains { c[$0 * k + y] > 0 } }
        let supported = Double(known.filter { $0 }.count)
        var pi = known.map { $0 ? 1 / supported : 0 }
        var mixed = [Double](repeating: 0, count: k)
        for _ in 0..<maxIterations {
            for j in 0..<k {
                var v = 0.0
                for y in 0..<k { v += c[j * k + y] * pi[y] }
                mixed[j] = v
            }
            var next = [Double](repeating: 0, count: k)
            for j in 0..<k where counts[j] > 0 && mixed[j] > 0 {
                let share = counts[j] / total / mixed[j]
                for y in 0..<k { next[y] += pi[y] * c[j * k + y] * share }
            }
            let sum = next.reduce(0, +)
            if sum > 0 { for y in 0..<k { next[y] /= sum } }
            let change = zip(next, pi).reduce(0) { max($0, abs($1.0 - $1.1)) }
            pi = next
            if change < tolerance { break }
        }
        return pi
    }

    /// Σ_k |estimate_k − truth_k|: the abundance error the evaluation reports.
    public static func absoluteError(_ estimate: [Double], truth: [Double]) -> Double {
        zip(estimate, truth).reduce(0) { $0 + abs($1.0 - $1.1) }
    }
}
