import Foundation
import PlanktermCore
import Testing

@testable import Learning

@Suite struct TopLabelCalibrationTests {
    /// Rows over `k` classes whose top probability is right with probability σ(a + b · logit p₁): the
    /// over-confident-above, under-confident-below shape that BCTS left at 121 classes.
    static func miscalibrated(n: Int, k: Int, a: Double, b: Double, seed: UInt64) -> (p: [Double], truth: [Int]) {
        var rng = SeededGenerator(seed: seed)
        var p: [Double] = [], truth: [Int] = []
        for _ in 0..<n {
            let z = (0..<k).map { _ in
                Double.random(in: -3...3, using: &rng) * Double.random(in: 0.2...2.5, using: &rng)
            }
            let row = Probabilities.softmax(z, classes: k)
            let top = row.indices.max { row[$0] < row[$1] }!
            let logit = log(row[top] / (1 - row[top]))
            let right = Double.random(in: 0..<1, using: &rng) < 1 / (1 + exp(-(a + b * logit)))
            var y = top
            while !right && y == top { y = Int.random(in: 0..<k, using: &rng) }
            p += row
            truth.append(y)
        }
        return (p, truth)
    }

    @Test func recoversTheMapAndLowersTheECE() {
        let (p, truth) = Self.miscalibrated(n: 20000, k: 20, a: 0.3, b: 0.6, seed: 11)
        let map = TopLabelCalibration.fit(p, classes: 20, truth: truth)
        #expect(abs(map.b - 0.6) < 0.05)
        #expect(abs(map.a - 0.3) < 0.08)
        let before = ClassificationMetrics(probabilities: p, classes: 20, truth: truth)
        let after = ClassificationMetrics(probabilities: map.apply(p, classes: 20), classes: 20, truth: truth)
        #expect(before.ece15 > 0.05)
        #expect(after.ece15 < 0.02)
        #expect(after.accuracy == before.accuracy)
    }

    @Test func calibratedRowsKeepAnIdentityMap() {
        let (p, truth) = Self.miscalibrated(n: 20000, k: 10, a: 0, b: 1, seed: 12)
        let map = TopLabelCalibration.fit(p, classes: 10, truth: truth)
        #expect(abs(map.b - 1) < 0.05 && abs(map.a) < 0.08)
    }

    @Test func applyKeepsSumsRankingAndTheOthersRatios() {
        let map = TopLabelCalibration(a: -1, b: 0.4)
        let rows: [Double] = [0.97, 0.02, 0.01, 0.40, 0.39, 0.21, 0.2, 0.5, 0.3]
        let out = map.apply(rows, classes: 3)
        for i in 0..<3 {
            let row = Array(out[(i * 3)..<(i * 3 + 3)])
            #expect(abs(row.reduce(0, +) - 1) < 1e-12)
            let top = rows[(i * 3)..<(i * 3 + 3)].indices.max { rows[$0] < rows[$1] }! - i * 3
            #expect(row.indices.allSatisfy { $0 == top || row[$0] < row[top] })
        }
        #expect(out[0] < 0.97)  // the steep top is pulled down
        #expect(abs(out[1] / out[2] - 2) < 1e-9)  // the others keep their ratio
        #expect(out[3] >= out[4])  // a close call stays in order (the floor), not flipped
        #expect(TopLabelCalibration.identity.apply(rows, classes: 3).elementsEqual(rows) { abs($0 - $1) < 1e-9 })
    }

    @Test func importanceWeightsStandForTheTargetMix() {
        // Balanced labels: rows stating class 0 at 0.75 are always right; rows stating class 1 at 0.75 are right
        // half the time (their other half is class 0). Shifted to a target of 90 % class 0, the second kind
        // state class 0 at 0.75 and are right whenever the image is class 0, which the target makes 90 % of
        // them: only the importance weights (π_target/π_train) tell the fit so.
        var p: [Double] = [], truth: [Int] = []
        for i in 0..<400 {
            p += i % 2 == 0 ? [0.75, 0.25] : [0.25, 0.75]
            truth.append(i % 2 == 0 ? 0 : (i % 4 == 1 ? 1 : 0))
        }
        let train = [0.5, 0.5], target = [0.9, 0.1]
        let weighted = TopLabelCalibration.fit(outOfFold: p, truth: truth, classes: 2, train: train, target: target)
        let unweighted = TopLabelCalibration.fit(
            Probabilities.shiftPrior(p, classes: 2, train: train, target: target),
            classes: 2, truth: truth)
        let stated = Probabilities.shiftPrior([0.25, 0.75], classes: 2, train: train, target: target)  // [0.75, 0.25]
        #expect(abs(stated[0] - 0.75) < 1e-9)
        #expect(weighted.apply(stated, classes: 2)[0] > unweighted.apply(stated, classes: 2)[0] + 0.1)
    }
}
