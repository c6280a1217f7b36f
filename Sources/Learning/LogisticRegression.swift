import Foundation
import Linalg

/// Per-feature standardisation: (x − mean) / std, with std floored so constant features stay 0.
public struct Standardizer: Sendable, Codable, Equatable {
    public var mean: [Double]
    public var scale: [Double]

    /// Fits to `x` (n × d, row-major).
    public init(fitting x: [Double], features d: Int) {
        let n = x.count / d
        var mean = [Double](repeating: 0, count: d), variance = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(max(n, 1)) }
        for i in 0..<n { for j in 0..<d { let t = x[i * d + j] - mean[j]; variance[j] += t * t } }
        self.mean = mean
        self.scale = variance.map {
            let s = ($0 / Double(max(n, 1))).squareRoot(); return s > 1e-12 ? s : 1
        }
    }

    public func apply(_ x: inout [Double]) {
        let d = mean.count
        for i in 0..<(x.count / d) { for j in 0..<d { x[i * d + j] = (x[i * d + j] - mean[j]) / scale[j] } }
    }
}

/// Multinomial logistic regression with an L2 penalty on the weights (not the intercepts), fitted by
/// full-batch L-BFGS; deterministic.
///
/// Minimises (1/Σw) Σ_i w_i · (−log softmax(W x_i + b)_{y_i}) + ‖W‖² / (2 C Σw), which has the same
/// solution as scikit-learn's `LogisticRegression(C=C)` with the same sample weights. W is k × d
/// (one row per class, all k rows kept as scikit-learn does); intercepts are centred to sum to 0.
public struct LogisticRegression: Sendable, Codable, Equatable {
    public var classes: Int
    public var features: Int
    public var weights: [Double]
    public var intercepts: [Double]
    public var c: Double
    public var iterations: Int
    public var converged: Bool

    /// Fits to `x` (n × d), `labels` in 0..<k, optional per-sample `sampleWeights`.
    public static func fit(
        x: [Double], features d: Int, labels: [Int], classes k: Int,
        sampleWeights: [Double]? = nil, c: Double = 1, maxIterations: Int = 500,
        gradientTolerance: Double = 1e-4
    ) -> LogisticRegression {
        let n = labels.count
        precondition(x.count == n * d)
        let w = sampleWeights ?? [Double](repeating: 1, count: n)
        let total = w.reduce(0, +)
        let lambda = 1 / (c * total)
        var z = [Double](repeating: 0, count: n * k)
        let optimizer = LBFGS(maxIterations: maxIterations, gradientTolerance: gradientTolerance)
        let result = optimizer.minimize(from: [Double](repeating: 0, count: k * d + k)) { theta, gradient in
            let weights = theta.baseAddress!, intercepts = theta.baseAddress! + k * d
            var value = 0.0
            z.withUnsafeMutableBufferPointer { zp in
                x.withUnsafeBufferPointer { xp in
                    // Z [n, k] = X [n, d] · Wᵀ [d, k]
                    Gemm.dgemm(m: n, n: k, k: d, a: xp.baseAddress!, b: weights, transB: true, c: zp.baseAddress!)
                    for i in 0..<n {
                        let row = zp.baseAddress! + i * k
                        var top = -Double.infinity
                        for j in 0..<k { row[j] += intercepts[j]; top = max(top, row[j]) }
                        var sum = 0.0
                        for j in 0..<k { sum += exp(row[j] - top) }
                        let logSum = top + log(sum)
                        value += w[i] * (logSum - row[labels[i]])
                        // Row becomes the loss gradient w.r.t. the logits: w_i (p − y) / Σw.
                        let scale = w[i] / total
                        for j in 0..<k { row[j] = scale * exp(row[j] - logSum) }
                        row[labels[i]] -= scale
                    }
                    // dW [k, d] = Gᵀ [k, n] · X [n, d]
                    Gemm.dgemm(
                        m: k, n: d, k: n, a: zp.baseAddress!, transA: true, b: xp.baseAddress!,
                        c: gradient.baseAddress!)
                    let gb = gradient.baseAddress! + k * d
                    for j in 0..<k { gb[j] = 0 }
                    for i in 0..<n { for j in 0..<k { gb[j] += zp[i * k + j] } }
                }
            }
            var penalty = 0.0
            for q in 0..<(k * d) {
                penalty += weights[q] * weights[q]
                gradient[q] += lambda * weights[q]
            }
            return value / total + 0.5 * lambda * penalty
        }
        var intercepts = Array(result.x[(k * d)...])
        let mean = intercepts.reduce(0, +) / Double(k)
        for j in 0..<k { intercepts[j] -= mean }
        return LogisticRegression(
            classes: k, features: d, weights: Array(result.x[0..<(k * d)]),
            intercepts: intercepts, c: c, iterations: result.iterations,
            converged: result.converged)
    }

    /// Logits W x + b of each row of `x` (n × d).
    public func logits(_ x: [Double]) -> [Double] {
        let n = x.count / features
        var z = [Double](repeating: 0, count: n * classes)
        guard n > 0 else { return z }
        x.withUnsafeBufferPointer { xp in
            weights.withUnsafeBufferPointer { wp in
                z.withUnsafeMutableBufferPointer { zp in
                    Gemm.dgemm(
                        m: n, n: classes, k: features, a: xp.baseAddress!, b: wp.baseAddress!, transB: true,
                        c: zp.baseAddress!)
                }
            }
        }
        for i in 0..<n { for j in 0..<classes { z[i * classes + j] += intercepts[j] } }
        return z
    }
}
