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
    public static func estimate(
        posteriors p: [Double], classes k: Int, trainPrior: [Double],
        smoothing alpha: Double = 1, anchor: [Double]? = nil, tolerance: Double = 1e-6,
        maxIterations: Int = 1_000
    ) -> Estimate {
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
    public static func logLikelihoods(
        posteriors p: [Double], classes k: Int, trainPrior: [Double],
        prior: [Double]
    ) -> [Double] {
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

    /// Fixed-point steps toward the mix whose estimates average to the group's estimate, before the
    /// intervals' simulated errors are drawn (`Record.pivotErrors`). Measured on the dev set's shifted
    /// samples (Benchmarks/prior_shift.py): 0 steps covered the dominant class in 76 % (EM) / 48 % (ACC)
    /// of samples, 2 steps 84 % / 46 % (more steps cost a simulation each).
    public static let biasSteps = 2

    /// Below this many estimated images a class's upper bound is at least its detection limit
    /// (`Record.detectionLimits`). A simulation around a mix that holds none of a class never draws it, so
    /// it cannot say how many could hide; the limit can, but it ignores false positives and is loose for
    /// a class with hundreds of predictions, where the simulation does see it. Measured on the dev set's
    /// shifted samples (Benchmarks/prior_shift.py, 20 labels a class): without the limit, classes present
    /// at 1–5 images were covered in 67–80 % (ACC) and 81–89 % (EM) of samples; with it for every class
    /// in 95 % or more, but the dominant class's interval was 126–139 images wide (median) instead of 50–65.
    public static let detectionLimitBelow = 20.0

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
    /// replicates (seeded) give the 95 % intervals; 0 skips them. Count intervals are widened to whole
    /// images (floor, ceiling): the truth is a count; they always contain their estimate.
    ///
    /// Without `outOfFold` a replicate resamples the group's images: the interval is the sampling noise
    /// alone. With it, the intervals also carry what the classifier gets wrong, which on a shifted sample
    /// is most of the error (a class the posteriors under-rate is under-counted by EM and by the counts,
    /// however many images there are). Each replicate is a simulated sample with a known truth: the
    /// held-out labelled images are resampled within each class (the uncertainty of a record of a few
    /// labels a class), a class mix is drawn around the estimate, n_c ~ Multinomial(N, π̂), and that many
    /// held-out images of each class make the sample (π̂ each estimator's own: the error depends on the mix). EM and ACC (with the full record's confusion, as on
    /// the real group) are run on it, and their errors against n say how far the estimates on this group
    /// are from its truth: the interval is estimate − the 97.5 % and 2.5 % error quantiles (a pivotal
    /// bootstrap, which corrects for a bias the classifier shows on its held-out images as well as
    /// spreading for its noise). The upper bound of a class estimated below `detectionLimitBelow` images is
    /// never below its detection limit (`Record.detectionLimits`): how many images of it could hide behind
    /// its few predictions, given the recall its held-out labels show.
    ///
    /// `smoothing` α (per class, as `PriorShift.estimate`) defaults to `anchorImages` / k: the Dirichlet
    /// anchor is then worth `anchorImages` images whatever the number of classes.
    public init(
        posteriors p: [Double], classes k: Int, trainPrior: [Double], smoothing: Double? = nil,
        bootstrap: Int = 100, seed: UInt64 = 0, outOfFold: OutOfFold? = nil
    ) {
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
        let estimate = PriorShift.estimate(
            posteriors: p, classes: k, trainPrior: trainPrior, smoothing: smoothing,
            anchor: PriorShift.meanPosterior(p, classes: k))
        corrected = estimate.prior.map { $0 * Double(n) }
        iterations = estimate.iterations
        let record = outOfFold.map { Record($0, classes: k) }
        if let record {
            adjusted = Self.adjustedCount(counts: cc, confusion: record.confusion, classes: k).map { $0 * Double(n) }
        }
        guard bootstrap > 0, n > 0 else {
            (correctedLower, correctedUpper) = (corrected, corrected)
            (adjustedLower, adjustedUpper) = (adjusted, adjusted)
            return
        }
        var rng = SeededGenerator(seed: seed)
        let fit = { (q: [Double]) in
            PriorShift.estimate(
                posteriors: q, classes: k, trainPrior: trainPrior, smoothing: smoothing,
                anchor: PriorShift.meanPosterior(q, classes: k), tolerance: 1e-5, maxIterations: 300
            ).prior
        }
        guard let record, let adjusted else {
            let spread = Self.resampledImages(p, classes: k, replicates: bootstrap, using: &rng, estimate: fit)
            (correctedLower, correctedUpper) = Self.interval(spread, around: corrected, shift: false, images: n)
            return
        }
        // Each estimator is simulated around its own estimate: the error of a class mix depends on the mix.
        let emErrors = record.pivotErrors(images: n, estimate: estimate.prior, replicates: bootstrap, using: &rng) {
            q, _ in fit(q)
        }
        let accMix = adjusted.map { $0 / Double(n) }
        let accErrors = record.pivotErrors(images: n, estimate: accMix, replicates: bootstrap, using: &rng) {
            _, counts in
            Self.adjustedCount(counts: counts, confusion: record.confusion, classes: k, maxIterations: 300)
        }
        (correctedLower, correctedUpper) = Self.interval(emErrors, around: corrected, shift: true, images: n)
        (adjustedLower, adjustedUpper) = Self.interval(accErrors, around: adjusted, shift: true, images: n)
        // A class estimated at a few images: its upper bound is at least its detection limit.
        let limit = record.detectionLimits(counts: cc, images: n)
        let floored = { (upper: [Double], estimate: [Double]) in
            (0..<k).map { estimate[$0] < Self.detectionLimitBelow ? max(upper[$0], limit[$0]) : upper[$0] }
        }
        correctedUpper = floored(correctedUpper, corrected)
        adjustedUpper = adjustedUpper.map { floored($0, adjusted) }
    }

    /// Per class, the replicates' EM estimates (counts) on the group's images resampled with replacement.
    static func resampledImages(
        _ p: [Double], classes k: Int, replicates: Int, using rng: inout SeededGenerator,
        estimate: ([Double]) -> [Double]
    ) -> [[Double]] {
        let n = p.count / k
        var samples = [[Double]](repeating: [], count: k)
        var resampled = [Double](repeating: 0, count: n * k)
        for _ in 0..<replicates {
            for i in 0..<n {
                let r = Int.random(in: 0..<n, using: &rng)
                for j in 0..<k { resampled[i * k + j] = p[r * k + j] }
            }
            let prior = estimate(resampled)
            for j in 0..<k { samples[j].append(prior[j] * Double(n)) }
        }
        return samples
    }

    /// The 95 % interval per class from replicate `samples`: their 2.5 and 97.5 % quantiles, or with
    /// `shift` (samples are errors, estimate − truth) estimate − the 97.5 and 2.5 % quantiles; clamped to
    /// [0, images], widened to whole images and to contain the estimate.
    static func interval(
        _ samples: [[Double]], around estimate: [Double], shift: Bool,
        images: Int
    ) -> (lower: [Double], upper: [Double]) {
        var lower = estimate, upper = estimate
        for (j, s) in samples.enumerated() where !s.isEmpty {
            let t = s.sorted()
            let low = t[Int(Double(t.count - 1) * 0.025)], high = t[Int((Double(t.count - 1) * 0.975).rounded(.up))]
            let (a, b) = shift ? (estimate[j] - high, estimate[j] - low) : (low, high)
            lower[j] = Foundation.floor(min(max(a, 0), estimate[j]))
            upper[j] = Foundation.ceil(max(min(b, Double(images)), estimate[j]))
        }
        return (lower, upper)
    }

    /// The out-of-fold record arranged for the intervals: its members by true class, their argmax
    /// classes and the confusion C.
    struct Record {
        let posteriors: [Double]
        let classes: Int
        let members: [[Int]]
        let top: [Int]
        let confusion: [Double]

        init(_ record: OutOfFold, classes k: Int) {
            posteriors = record.posteriors
            classes = k
            var byClass = [[Int]](repeating: [], count: k)
            for (i, y) in record.truth.enumerated() { byClass[y].append(i) }
            members = byClass
            top = Probabilities.argmax(record.posteriors, classes: k)
            confusion = AbundanceEstimate.confusion(top: top, members: byClass, classes: k)
        }

        /// Per class, the most images of it the group can hold given what the classifier found: the largest t
        /// for which a class of t images would have at most `counts[c]` of them predicted as c with a
        /// probability of 2.5 % or more. Of t images of c the classifier finds Binomial(t, r_c), r_c its
        /// out-of-fold recall, taken as Beta(hits + ½, misses + ½) (the record holds a few labels a class),
        /// so the found images are beta-binomial; and the found are at most the predicted. This is the
        /// upper bound the simulations cannot give for a class estimated at or near 0: a mix without the
        /// class never draws it, yet a class the classifier finds one time in two can hide 8 images behind
        /// one prediction. Classes without out-of-fold labels get 0 (no bound).
        func detectionLimits(counts: [Double], images n: Int) -> [Double] {
            (0..<classes).map { c in
                let m = members[c]
                guard !m.isEmpty else { return 0 }
                let hits = Double(m.filter { top[$0] == c }.count)
                let found = Int(counts[c].rounded())
                let a = hits + 0.5, b = Double(m.count) - hits + 0.5
                // P(found ≤ counts[c]) falls as t grows: the largest t where it is still ≥ 2.5 %.
                var low = found, high = n
                while low < high {
                    let t = (low + high + 1) / 2
                    if Self.betaBinomialCDF(found, trials: t, a: a, b: b) >= 0.025 { low = t } else { high = t - 1 }
                }
                return Double(low)
            }
        }

        /// P(X ≤ x) for X ~ BetaBinomial(trials, a, b).
        static func betaBinomialCDF(_ x: Int, trials t: Int, a: Double, b: Double) -> Double {
            guard x < t else { return 1 }
            let logBeta = { (p: Double, q: Double) in lgamma(p) + lgamma(q) - lgamma(p + q) }
            let base = lgamma(Double(t) + 1) - logBeta(a, b)
            var sum = 0.0
            for i in 0...x {
                let j = Double(i)
                sum += exp(
                    base - lgamma(j + 1) - lgamma(Double(t) - j + 1) + logBeta(j + a, Double(t) - j + b))
            }
            return min(1, sum)
        }

        /// The errors of `estimator` on simulated samples whose mix m is the one that `estimator` would, on
        /// average, estimate as the group's `estimate` π̂: m = π̂ − bias(m), found by `biasSteps` fixed-point
        /// steps from m = π̂ on half as many replicates each. A class the classifier under-counts is
        /// under-counted more the more of it there is, so the errors at π̂ itself would under-state how far
        /// the truth lies above it.
        func pivotErrors(
            images n: Int, estimate: [Double], replicates: Int, using rng: inout SeededGenerator,
            estimator: (_ posteriors: [Double], _ counts: [Double]) -> [Double]
        ) -> [[Double]] {
            var mix = estimate
            for _ in 0..<AbundanceEstimate.biasSteps {
                let errors = simulatedErrors(
                    images: n, mix: mix, replicates: max(10, replicates / 2), using: &rng,
                    estimate: estimator)
                let next = (0..<classes).map { c in
                    errors[c].isEmpty ? 0 : max(0, estimate[c] - errors[c].reduce(0, +) / Double(errors[c].count * n))
                }
                let total = next.reduce(0, +)
                guard total > 0 else { break }
                mix = next.map { $0 / total }
            }
            return simulatedErrors(images: n, mix: mix, replicates: replicates, using: &rng, estimate: estimator)
        }

        /// Per class, the errors (estimate − truth, in images) of `estimate` (the simulated sample's
        /// posteriors and argmax counts → class mix) on `replicates` simulated samples of `images` held-out
        /// images drawn around the class `mix`.
        func simulatedErrors(
            images n: Int, mix: [Double], replicates: Int, using rng: inout SeededGenerator,
            estimate: (_ posteriors: [Double], _ counts: [Double]) -> [Double]
        ) -> [[Double]] {
            let k = classes
            let known = (0..<k).filter { !members[$0].isEmpty }
            let weights = known.map { max(mix[$0], 0) }
            let total = weights.reduce(0, +)
            var errors = [[Double]](repeating: [], count: k)
            guard total > 0 else { return errors }
            var sample = [Double](repeating: 0, count: n * k)
            for _ in 0..<replicates {
                let drawn = members.map { m in m.map { _ in m[Int.random(in: 0..<m.count, using: &rng)] } }
                var truth = [Double](repeating: 0, count: k), counts = [Double](repeating: 0, count: k)
                for i in 0..<n {
                    var u = Double.random(in: 0..<total, using: &rng), c = known[known.count - 1]
                    for (index, w) in weights.enumerated() {
                        if u < w { c = known[index]; break }
                        u -= w
                    }
                    let image = drawn[c][Int.random(in: 0..<drawn[c].count, using: &rng)]
                    truth[c] += 1
                    counts[top[image]] += 1
                    for j in 0..<k { sample[i * k + j] = posteriors[image * k + j] }
                }
                let mix = estimate(sample, counts)
                for c in known { errors[c].append(mix[c] * Double(n) - truth[c]) }
            }
            return errors
        }
    }

    /// C[j * k + c] = P(predicted j | true c) over the out-of-fold `members` of each class c.
    static func confusion(top: [Int], members: [[Int]], classes k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: k * k)
        for (y, list) in members.enumerated() where !list.isEmpty {
            for i in list { c[top[i] * k + y] += 1 / Double(list.count) }
        }
        return c
    }

    /// Maximum-likelihood class mix π (over the simplex) of argmax `counts` given the confusion C:
    /// counts_j ~ N·(Cπ)_j. EM for mixture weights: π_c ← π_c Σ_j (counts_j / N) C_jc / (Cπ)_j. Classes
    /// without out-of-fold labels keep π = 0.
    public static func adjustedCount(
        counts: [Double], confusion c: [Double], classes k: Int,
        maxIterations: Int = 1_000, tolerance: Double = 1e-7
    ) -> [Double] {
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
