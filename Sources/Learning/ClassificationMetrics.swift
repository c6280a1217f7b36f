import Foundation

/// One bin of a reliability diagram: how sure the model said it was against how often it was right.
public struct ReliabilityBin: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    public var confidence: Double
    public var accuracy: Double
}

/// Accuracy and calibration of predicted probabilities against true classes. ECE with M equal-width bins
/// B_m over the confidence: Σ_m |B_m|/n · |accuracy(B_m) − mean confidence(B_m)|.
///
/// Inputs are `probabilities` (n × k, row-major, rows summing to 1) and `truth` (n class indices).
public struct ClassificationMetrics: Sendable, Codable, Equatable {
    public var n: Int
    public var accuracy: Double
    /// Mean over the classes present in `truth` of their recall.
    public var balancedAccuracy: Double
    /// Mean over the classes present in `truth` or predicted of their F1.
    public var macroF1: Double
    /// Mean negative log-likelihood of the true class (natural log; probabilities floored at 1e-15).
    public var nll: Double
    /// Mean over rows of Σ_k (p_k − y_k)².
    public var brier: Double
    /// Expected calibration error with 15 and 20 equal-width bins over the top probability.
    public var ece15: Double
    public var ece20: Double
    /// Mean over classes of the one-vs-rest ECE (15 bins over p_k).
    public var classwiseECE: Double
    public var reliability: [ReliabilityBin]
    /// confusion[true][predicted].
    public var confusion: [[Int]]

    /// `calls` (n classes), when given, are the decisions that accuracy, balanced accuracy, macro-F1 and
    /// the confusion count (the balanced call of issue 15, which need not be argmax p); NLL, Brier and
    /// the calibration errors are always of `probabilities`, the top-label ECE over their largest value.
    public init(probabilities p: [Double], classes k: Int, truth: [Int], calls: [Int]? = nil) {
        let n = truth.count
        precondition(p.count == n * k, "probabilities must be n × k")
        precondition(calls.map { $0.count == n } ?? true, "one call per row")
        self.n = n
        let top = Probabilities.argmax(p, classes: k)
        let predicted = calls ?? top
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var correct = [Bool](repeating: false, count: n), topCorrect = [Bool](repeating: false, count: n)
        var confidence = [Double](repeating: 0, count: n)
        var nll = 0.0, brier = 0.0
        for i in 0..<n {
            confusion[truth[i]][predicted[i]] += 1
            correct[i] = predicted[i] == truth[i]
            topCorrect[i] = top[i] == truth[i]
            confidence[i] = p[i * k + top[i]]
            nll -= log(max(p[i * k + truth[i]], 1e-15))
            for j in 0..<k {
                let d = p[i * k + j] - (j == truth[i] ? 1 : 0)
                brier += d * d
            }
        }
        let denominator = Double(max(n, 1))
        self.confusion = confusion
        self.accuracy = Double(correct.filter { $0 }.count) / denominator
        self.nll = nll / denominator
        self.brier = brier / denominator
        var recalls: [Double] = [], f1s: [Double] = []
        for c in 0..<k {
            let support = confusion[c].reduce(0, +)
            let predictedCount = (0..<k).reduce(0) { $0 + confusion[$1][c] }
            let tp = Double(confusion[c][c])
            if support > 0 { recalls.append(tp / Double(support)) }
            if support > 0 || predictedCount > 0 {
                f1s.append(2 * tp / Double(support + predictedCount))
            }
        }
        self.balancedAccuracy = recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
        self.macroF1 = f1s.isEmpty ? 0 : f1s.reduce(0, +) / Double(f1s.count)
        self.ece15 = Self.expectedCalibrationError(confidence: confidence, correct: topCorrect, bins: 15)
        self.ece20 = Self.expectedCalibrationError(confidence: confidence, correct: topCorrect, bins: 20)
        self.reliability = Self.reliabilityBins(confidence: confidence, correct: topCorrect, bins: 15)
        var classwise = 0.0
        for c in 0..<k {
            let pc = (0..<n).map { p[$0 * k + c] }
            let yc = (0..<n).map { truth[$0] == c }
            classwise += Self.expectedCalibrationError(confidence: pc, correct: yc, bins: 15)
        }
        self.classwiseECE = k > 0 ? classwise / Double(k) : 0
    }

    /// ECE = Σ_m |B_m|/n · |acc(B_m) − conf(B_m)| with `bins` equal-width bins on [0, 1]; bin m holds
    /// confidences in (m/M, (m+1)/M] (the first bin also holds 0).
    public static func expectedCalibrationError(confidence: [Double], correct: [Bool], bins: Int) -> Double {
        let n = confidence.count
        guard n > 0 else { return 0 }
        return reliabilityBins(confidence: confidence, correct: correct, bins: bins).reduce(0) {
            $0 + Double($1.count) / Double(n) * abs($1.accuracy - $1.confidence)
        }
    }

    public static func reliabilityBins(confidence: [Double], correct: [Bool], bins: Int) -> [ReliabilityBin] {
        var count = [Int](repeating: 0, count: bins)
        var confidenceSum = [Double](repeating: 0, count: bins)
        var correctSum = [Double](repeating: 0, count: bins)
        for i in confidence.indices {
            let bin = Self.bin(of: confidence[i], bins: bins)
            count[bin] += 1
            confidenceSum[bin] += confidence[i]
            if correct[i] { correctSum[bin] += 1 }
        }
        return (0..<bins).map { m in
            ReliabilityBin(
                lower: Double(m) / Double(bins), upper: Double(m + 1) / Double(bins), count: count[m],
                confidence: count[m] > 0 ? confidenceSum[m] / Double(count[m]) : 0,
                accuracy: count[m] > 0 ? correctSum[m] / Double(count[m]) : 0)
        }
    }

    static func bin(of value: Double, bins: Int) -> Int {
        // (m/M, (m+1)/M]: ceil(v·M) − 1, clamped.
        let m = Int((value * Double(bins)).rounded(.up)) - 1
        return min(max(m, 0), bins - 1)
    }
}
