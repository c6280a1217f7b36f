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
    public static func estimate(posteriors p: [Double], classes k: Int, trainPrior: [Double],
                                smoothing alpha: Double = 1, tolerance: Double = 1e-6,
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
            for j in 0..<k where trainPrior[j] > 0 {
                next[j] = (counts[j] + alpha) / (Double(n) + Double(supported) * alpha)
            }
            let change = zip(next, prior).reduce(0) { max($0, abs($1.0 - $1.1)) }
            prior = next
            if change < tolerance { converged = true; break }
        }
        return Estimate(prior: prior, iterations: iterations, converged: converged, expectedCounts: counts)
    }
}

/// Abundance of each class in a group of images, three ways (METHODS §5).
public struct AbundanceEstimate: Sendable, Codable, Equatable {
    public var images: Int
    /// Count of argmax predictions (classify and count).
    public var classifyAndCount: [Double]
    /// Σ_i p(k|x_i) of the calibrated posteriors under π_train.
    public var expectedCounts: [Double]
    /// N · π̂ from EM, and a 95 % interval for it (a parametric bootstrap of the group's images).
    public var corrected: [Double]
    public var correctedLower: [Double]
    public var correctedUpper: [Double]
    public var iterations: Int

    /// Estimates the abundance of `p` (N × k calibrated posteriors under `trainPrior`). `bootstrap`
    /// resamples the images that many times (seeded) for the interval; 0 skips it.
    public init(posteriors p: [Double], classes k: Int, trainPrior: [Double], smoothing: Double = PredictionSet.smoothing,
                bootstrap: Int = 100, seed: UInt64 = 0) {
        let n = p.count / k
        images = n
        var cc = [Double](repeating: 0, count: k), expected = [Double](repeating: 0, count: k)
        for (i, y) in Probabilities.argmax(p, classes: k).enumerated() {
            cc[y] += 1
            for j in 0..<k { expected[j] += p[i * k + j] }
        }
        classifyAndCount = cc
        expectedCounts = expected
        let estimate = PriorShift.estimate(posteriors: p, classes: k, trainPrior: trainPrior, smoothing: smoothing)
        corrected = estimate.prior.map { $0 * Double(n) }
        iterations = estimate.iterations
        guard bootstrap > 0, n > 0 else {
            correctedLower = corrected
            correctedUpper = corrected
            return
        }
        var rng = SeededGenerator(seed: seed)
        var samples = [[Double]](repeating: [], count: k)
        var resampled = [Double](repeating: 0, count: n * k)
        for _ in 0..<bootstrap {
            for i in 0..<n {
                let r = Int.random(in: 0..<n, using: &rng)
                for j in 0..<k { resampled[i * k + j] = p[r * k + j] }
            }
            let b = PriorShift.estimate(posteriors: resampled, classes: k, trainPrior: trainPrior, smoothing: smoothing,
                                        tolerance: 1e-5, maxIterations: 300)
            for j in 0..<k { samples[j].append(b.prior[j] * Double(n)) }
        }
        correctedLower = samples.map { s in let t = s.sorted(); return t[Int(Double(t.count - 1) * 0.025)] }
        correctedUpper = samples.map { s in let t = s.sorted(); return t[Int(Double(t.count - 1) * 0.975)] }
    }

    /// Σ_k |estimate_k − truth_k|: the abundance error the evaluation reports.
    public static func absoluteError(_ estimate: [Double], truth: [Double]) -> Double {
        zip(estimate, truth).reduce(0) { $0 + abs($1.0 - $1.1) }
    }
}
