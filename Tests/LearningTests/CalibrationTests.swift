import Foundation
import PlanktermCore
import Testing

@testable import Learning

@Suite struct CalibrationTests {
    /// Logits of a model that is over-confident by a factor `scale`: true logits drawn, labels sampled from
    /// softmax(true), then reported as scale · true.
    static func overconfident(n: Int, k: Int, scale: Double, seed: UInt64) -> (logits: [Double], truth: [Int]) {
        var rng = SeededGenerator(seed: seed)
        var logits: [Double] = [], truth: [Int] = []
        for _ in 0..<n {
            let z = (0..<k).map { _ in Double.random(in: -2...2, using: &rng) }
            let p = Probabilities.softmax(z, classes: k)
            var u = Double.random(in: 0..<1, using: &rng), y = k - 1
            for j in 0..<k { u -= p[j]; if u < 0 { y = j; break } }
            truth.append(y)
            logits += z.map { $0 * scale }
        }
        return (logits, truth)
    }

    @Test func temperatureScalingRecoversTheOverconfidenceAndLowersECE() {
        let (logits, truth) = Self.overconfident(n: 20000, k: 5, scale: 2.5, seed: 7)
        let fitted = Calibration.fit(.temperature, logits: logits, classes: 5, truth: truth)
        #expect(abs(fitted.temperature - 2.5) < 0.1)
        let before = ClassificationMetrics(
            probabilities: Probabilities.softmax(logits, classes: 5), classes: 5, truth: truth)
        let after = ClassificationMetrics(
            probabilities: fitted.probabilities(logits, classes: 5), classes: 5, truth: truth)
        #expect(after.ece15 < 0.02 && after.ece15 < before.ece15)
        #expect(after.nll < before.nll)
        #expect(after.accuracy == before.accuracy)
    }

    @Test func bctsRemovesAClassBias() {
        var (logits, truth) = Self.overconfident(n: 20000, k: 4, scale: 1, seed: 8)
        for i in 0..<truth.count { logits[i * 4 + 2] += 1.0 }  // the model favours class 2 wrongly
        let ts = Calibration.fit(.temperature, logits: logits, classes: 4, truth: truth)
        let bcts = Calibration.fit(.bcts, logits: logits, classes: 4, truth: truth)
        let bias = bcts.bias!
        #expect(abs((bias[2] - bias[0]) + 1.0) < 0.1)
        let w = [Double](repeating: 1, count: truth.count)
        let nllTS = Calibration.nll(
            logits: logits, classes: 4, truth: truth, weights: w, total: Double(truth.count),
            temperature: ts.temperature, bias: nil)
        let nllBCTS = Calibration.nll(
            logits: logits, classes: 4, truth: truth, weights: w, total: Double(truth.count),
            temperature: bcts.temperature, bias: bias)
        #expect(nllBCTS < nllTS)
    }

    @Test func metricsOfAKnownConfusion() {
        // 4 rows: two right (classes 0, 1), one 0 predicted as 1, one 2 predicted as 2.
        let p: [Double] = [0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.3, 0.6, 0.1, 0.1, 0.1, 0.8]
        let m = ClassificationMetrics(probabilities: p, classes: 3, truth: [0, 1, 0, 2])
        #expect(m.accuracy == 0.75)
        #expect(abs(m.balancedAccuracy - (0.5 + 1 + 1) / 3) < 1e-12)
        // F1: class 0: tp 1, support 2, predicted 1 → 2/3; class 1: tp 1, support 1, predicted 2 → 2/3; class 2: 1.
        #expect(abs(m.macroF1 - (2.0 / 3 + 2.0 / 3 + 1) / 3) < 1e-12)
        #expect(abs(m.nll - (-(log(0.8) + log(0.7) + log(0.3) + log(0.8)) / 4)) < 1e-12)
        let brier = ((0.04 + 0.01 + 0.01) + (0.04 + 0.09 + 0.01) + (0.49 + 0.36 + 0.01) + (0.01 + 0.01 + 0.04)) / 4
        #expect(abs(m.brier - brier) < 1e-12)
        #expect(m.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
        #expect(m.reliability.reduce(0) { $0 + $1.count } == 4)
    }
}
