import Foundation

/// A map of the top-class probability alone (top-label Platt scaling): p₁ ← σ(a + b · logit p₁), the
/// other classes scaled by (1 − p₁′)/(1 − p₁) so that each row still sums to 1 and keeps its ranking
/// among the other classes. The mapped top is never put below the scaled runner-up, so the most
/// probable class stays the most probable.
///
/// Temperature scaling and BCTS fit the whole vector by the likelihood; with many classes and few labels
/// a class the likelihood is ruled by the images whose true class got almost nothing, and the fitted
/// temperature leaves the top class under-confident below about 45 % and over-confident above (dev set,
/// 121 classes: stated 0.98, right 0.87). This map is fitted to exactly the quantity that is shown and
/// read as a frequency: how often the top class is right.
public struct TopLabelCalibration: Sendable, Codable, Equatable {
    public var a: Double
    public var b: Double

    public static let identity = TopLabelCalibration(a: 0, b: 1)

    public init(a: Double, b: Double) {
        self.a = a
        self.b = b
    }

    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-9), 1 - 1e-9)
        return log(q / (1 - q))
    }

    /// Fitted on out-of-fold `posteriors` (under π_train, with true classes `truth`) for probabilities
    /// shown under `target`: the posteriors are shifted to `target` and each weighted by
    /// π_target(y)/π_train(y), so that the held-out labels stand for the target mix (under label shift the
    /// images of a class look the same in both). Fitted on the balanced labels alone, the map left the
    /// scored images of the dev set at ECE 0.032–0.034; weighted, 0.022–0.028 (121 classes, 5–20 labels).
    public static func fit(
        outOfFold posteriors: [Double], truth: [Int], classes k: Int, train: [Double],
        target: [Double]
    ) -> TopLabelCalibration {
        let shifted = Probabilities.shiftPrior(posteriors, classes: k, train: train, target: target)
        let weights = truth.map { target[$0] / max(train[$0], 1e-12) }
        return fit(shifted, classes: k, truth: truth, weights: weights)
    }

    /// Fits (a, b) to rows of probabilities `p` (n × k) and their true classes by the weighted mean
    /// log-loss of "the top class is right", with a weak Gaussian prior toward the identity (a = 0,
    /// b = 1; σ = 1 per label of weight) so that a handful of labels cannot fit a steep map.
    public static func fit(_ p: [Double], classes k: Int, truth: [Int], weights: [Double]? = nil) -> TopLabelCalibration
    {
        let n = truth.count
        guard n > 0 else { return .identity }
        let w = weights ?? [Double](repeating: 1, count: n)
        let total = w.reduce(0, +)
        var u = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let row = p[(i * k)..<(i * k + k)]
            let top = row.indices.max { row[$0] < row[$1] }!
            u[i] = logit(row[top])
            y[i] = top - i * k == truth[i] ? 1 : 0
        }
        let prior = 1 / (2 * total)
        let result = LBFGS(maxIterations: 200, gradientTolerance: 1e-10).minimize(from: [0, 1]) { x, g in
            var value = 0.0
            g[0] = 0
            g[1] = 0
            for i in 0..<n {
                let s = x[0] + x[1] * u[i]
                let q = 1 / (1 + exp(-s))
                value -= w[i] / total * (y[i] * log(max(q, 1e-300)) + (1 - y[i]) * log(max(1 - q, 1e-300)))
                g[0] += w[i] / total * (q - y[i])
                g[1] += w[i] / total * (q - y[i]) * u[i]
            }
            value += prior * (x[0] * x[0] + (x[1] - 1) * (x[1] - 1))
            g[0] += 2 * prior * x[0]
            g[1] += 2 * prior * (x[1] - 1)
            return value
        }
        return TopLabelCalibration(a: result.x[0], b: result.x[1])
    }

    /// The rows of `p` (n × k) with their top class mapped.
    public func apply(_ p: [Double], classes k: Int) -> [Double] {
        var out = p
        for i in 0..<(p.count / k) {
            let row = p[(i * k)..<(i * k + k)]
            let top = row.indices.max { row[$0] < row[$1] }!
            let p1 = row[top]
            let second = row.indices.filter { $0 != top }.map { row[$0] }.max() ?? 0
            // The top stays on top: mapped ≥ second · (1 − mapped)/(1 − p₁) ⇔ mapped ≥ second/(1 − p₁ + second).
            // (a hair above, so that the top class does not tie with the runner-up either).
            let floor = p1 < 1 ? min(p1, second / (1 - p1 + second) * (1 + 1e-9)) : 0
            let mapped = max(1 / (1 + exp(-(a + b * Self.logit(p1)))), floor)
            let scale = p1 < 1 ? (1 - mapped) / (1 - p1) : 0
            for j in 0..<k { out[i * k + j] = (i * k + j == top) ? mapped : p[i * k + j] * scale }
            if p1 >= 1 { out[top] = 1 }
        }
        return out
    }
}
