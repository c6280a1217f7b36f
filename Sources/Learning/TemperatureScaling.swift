import Foundation

/// A fitted calibration map for logits: p = softmax(z / T + b), T and b chosen to minimise the negative
/// log-likelihood of held-out labels.
///
/// Plain temperature scaling has b = 0; bias-corrected temperature scaling (BCTS) also fits a per-class
/// bias b. Temperature scaling never changes which class wins; BCTS may.
public struct Calibration: Sendable, Codable, Equatable {
    public enum Method: String, Sendable, Codable, CaseIterable {
        case none, temperature, bcts
    }

    public var method: Method
    public var temperature: Double
    public var bias: [Double]?
    /// For heads whose logits are log vote shares (kNN): z ← log(eᶻ + floor) first, so that a class
    /// without votes keeps a fitted, not arbitrary, probability.
    public var floor: Double?
    /// BCTS: the standard deviation of the Gaussian prior the biases were fitted under (nil: none), so
    /// that a class with few labels keeps a bias near 0 (`ClassifierTraining` chooses it).
    public var biasPriorSD: Double?

    public static let identity = Calibration(method: .none, temperature: 1, bias: nil)

    public init(method: Method, temperature: Double, bias: [Double]?, floor: Double? = nil, biasPriorSD: Double? = nil)
    {
        self.method = method
        self.temperature = temperature
        self.bias = bias
        self.floor = floor
        self.biasPriorSD = biasPriorSD
    }

    /// In words, for reports: "temperature 1.43" or "BCTS, temperature 1.43, biases with prior sd 0.5".
    public var summary: String {
        let t = String(format: "temperature %.3f", temperature)
        switch method {
        case .none: return "none"
        case .temperature: return t
        case .bcts: return "BCTS, \(t)" + (biasPriorSD.map { String(format: ", biases with prior sd %g", $0) } ?? "")
        }
    }

    /// Calibrated probabilities of `logits` (n × k).
    public func probabilities(_ logits: [Double], classes k: Int) -> [Double] {
        Probabilities.softmax(Self.applyFloor(logits, floor), classes: k, temperature: temperature, bias: bias)
    }

    static func applyFloor(_ logits: [Double], _ floor: Double?) -> [Double] {
        guard let floor else { return logits }
        return logits.map { log(exp($0) + floor) }
    }

    /// `fit` for log-share logits: also chooses the floor from `floors` by the fitted NLL.
    public static func fit(
        _ method: Method, logShares logits: [Double], classes k: Int, truth: [Int],
        weights: [Double]? = nil, biasPriorSD: Double? = nil,
        floors: [Double] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]
    ) -> Calibration {
        guard method != .none, !truth.isEmpty else { return .identity }
        let w = weights ?? [Double](repeating: 1, count: truth.count)
        var best: (Double, Calibration)?
        for floor in floors {
            let floored = applyFloor(logits, floor)
            var fitted = fit(method, logits: floored, classes: k, truth: truth, weights: w, biasPriorSD: biasPriorSD)
            fitted.floor = floor
            let value = nll(
                logits: floored, classes: k, truth: truth, weights: w, total: w.reduce(0, +),
                temperature: fitted.temperature, bias: fitted.bias)
            if best == nil || value < best!.0 { best = (value, fitted) }
        }
        return best!.1
    }

    /// Fits the map to held-out `logits` (n × k) with true classes `truth`, minimising the weighted mean
    /// negative log-likelihood (`weights` default to 1; pass class-balanced weights so that the fit matches
    /// a balanced π_train). Temperature: Brent's method on log T over T ∈ [0.05, 20]; BCTS: L-BFGS on
    /// (log T, b) started from the temperature fit. With `biasPriorSD` σ the biases are the MAP estimate
    /// under b_j ~ N(0, σ²): the penalty Σ b_j² / (2σ²) is added to the total (not mean) weighted NLL,
    /// with the weights scaled to sum to n, so a bias moves from 0 only as far as its class's labels
    /// support it.
    public static func fit(
        _ method: Method, logits: [Double], classes k: Int, truth: [Int],
        weights: [Double]? = nil, biasPriorSD: Double? = nil
    ) -> Calibration {
        guard method != .none, !truth.isEmpty else { return .identity }
        let w = weights ?? [Double](repeating: 1, count: truth.count)
        let total = w.reduce(0, +)
        let logT = Brent.minimize(lower: log(0.05), upper: log(20), tolerance: 1e-10) { logT in
            nll(logits: logits, classes: k, truth: truth, weights: w, total: total, temperature: exp(logT), bias: nil)
        }
        let temperature = exp(logT)
        guard method == .bcts else { return Calibration(method: .temperature, temperature: temperature, bias: nil) }
        let n = truth.count
        // Per label of the mean objective: Σ b² / (2σ² n).
        let penalty = biasPriorSD.map { 1 / (2 * $0 * $0 * Double(n)) } ?? 0
        var optimizer = LBFGS(maxIterations: 500, gradientTolerance: 1e-9)
        optimizer.relativeTolerance = 1e-14
        let result = optimizer.minimize(from: [logT] + [Double](repeating: 0, count: k)) { x, g in
            let t = exp(x[0])
            var value = 0.0
            for j in 0..<g.count { g[j] = 0 }
            var p = [Double](repeating: 0, count: k)
            for i in 0..<n {
                var top = -Double.infinity
                for j in 0..<k {
                    p[j] = logits[i * k + j] / t + x[1 + j]
                    top = max(top, p[j])
                }
                var sum = 0.0
                for j in 0..<k { p[j] = exp(p[j] - top); sum += p[j] }
                let wi = w[i] / total
                value -= wi * log(max(p[truth[i]] / sum, 1e-300))
                // d/dz' of −log softmax = p − y, z' = z/t + b: dz'/db = 1, dz'/dlogT = −z/t.
                var dLogT = 0.0
                for j in 0..<k {
                    let d = p[j] / sum - (j == truth[i] ? 1 : 0)
                    g[1 + j] += wi * d
                    dLogT -= d * logits[i * k + j] / t
                }
                g[0] += wi * dLogT
            }
            for j in 0..<k {
                value += penalty * x[1 + j] * x[1 + j]
                g[1 + j] += 2 * penalty * x[1 + j]
            }
            return value
        }
        // Biases are defined up to a constant: centre them.
        var bias = Array(result.x[1...])
        let mean = bias.reduce(0, +) / Double(k)
        for j in 0..<k { bias[j] -= mean }
        return Calibration(method: .bcts, temperature: exp(result.x[0]), bias: bias, biasPriorSD: biasPriorSD)
    }

    /// Weighted mean negative log-likelihood of softmax(z / T + b).
    public static func nll(
        logits: [Double], classes k: Int, truth: [Int], weights: [Double], total: Double,
        temperature: Double, bias: [Double]?
    ) -> Double {
        var value = 0.0
        for i in truth.indices {
            var top = -Double.infinity
            for j in 0..<k { top = max(top, logits[i * k + j] / temperature + (bias?[j] ?? 0)) }
            var sum = 0.0
            for j in 0..<k { sum += exp(logits[i * k + j] / temperature + (bias?[j] ?? 0) - top) }
            let zy = logits[i * k + truth[i]] / temperature + (bias?[truth[i]] ?? 0)
            value += weights[i] * (top + log(sum) - zy)
        }
        return value / total
    }
}

/// Brent's method for a minimum of a function of one variable on an interval (golden section with
/// parabolic steps; Brent 1973, as in Numerical Recipes' `brent`).
public enum Brent {
    public static func minimize(
        lower: Double, upper: Double, tolerance: Double = 1e-10,
        maxIterations: Int = 200, _ f: (Double) -> Double
    ) -> Double {
        let golden = 0.3819660112501051
        var a = lower, b = upper
        var x = a + golden * (b - a), w = x, v = x
        var fx = f(x), fw = fx, fv = fx
        var d = 0.0, e = 0.0
        for _ in 0..<maxIterations {
            let middle = 0.5 * (a + b)
            let tol1 = tolerance * abs(x) + 1e-12, tol2 = 2 * tol1
            if abs(x - middle) <= tol2 - 0.5 * (b - a) { break }
            var useGolden = true
            if abs(e) > tol1 {
                let r = (x - w) * (fx - fv)
                var q = (x - v) * (fx - fw)
                var p = (x - v) * q - (x - w) * r
                q = 2 * (q - r)
                if q > 0 { p = -p } else { q = -q }
                if abs(p) < abs(0.5 * q * e) && p > q * (a - x) && p < q * (b - x) {
                    e = d
                    d = p / q
                    let u = x + d
                    if u - a < tol2 || b - u < tol2 { d = middle >= x ? tol1 : -tol1 }
                    useGolden = false
                }
            }
            if useGolden {
                e = x >= middle ? a - x : b - x
                d = golden * e
            }
            let u = abs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1)
            let fu = f(u)
            if fu <= fx {
                if u >= x { a = x } else { b = x }
                v = w; fv = fw; w = x; fw = fx; x = u; fx = fu
            } else {
                if u < x { a = u } else { b = u }
                if fu <= fw || w == x {
                    v = w; fv = fw; w = u; fw = fu
                } else if fu <= fv || v == x || v == w {
                    v = u; fv = fu
                }
            }
        }
        return x
    }
}
