import Foundation
import Testing

@testable import Learning

@Suite struct LogisticRegressionTests {
    /// The problem of Scripts/logreg_reference.py.
    static func problem() -> (x: [Double], y: [Int]) {
        let n = 60, d = 4
        let y = (0..<n).map { $0 < 30 ? 0 : ($0 < 48 ? 1 : 2) }
        var x: [Double] = []
        for i in 0..<n { for j in 0..<d { x.append(sin(1.3 * Double(i) + 0.7 * Double(j)) + (j == y[i] ? 0.5 : 0)) } }
        return (x, y)
    }

    @Test func matchesScikitLearnsSolution() {
        // Printed by `python Scripts/logreg_reference.py` (scikit-learn 1.9.1, numpy 2.4.6).
        let coef: [Double] = [
            1.3981945493, -0.8986731550, -0.4890601090, 1.0125045110, -1.0410431662, 1.5830961223, -1.0719511983,
            -0.0711089326, -0.3571513831, -0.6844229673, 1.5610113073, -0.9413955785
        ]
        let intercept: [Double] = [0.0227269729, 0.0637143136, -0.0864412866]
        let probabilitiesOfFirstRow: [Double] = [0.5171371403, 0.1739349027, 0.3089279570]
        let (x, y) = Self.problem()
        let model = LogisticRegression.fit(
            x: x, features: 4, labels: y, classes: 3,
            sampleWeights: balancedWeights(labels: y, classes: 3), c: 0.5,
            gradientTolerance: 1e-10)
        #expect(model.converged)
        for (got, want) in zip(model.weights, coef) { #expect(abs(got - want) < 1e-4, "coef \(got) vs \(want)") }
        for (got, want) in zip(model.intercepts, intercept) { #expect(abs(got - want) < 1e-4) }
        let p = Probabilities.softmax(model.logits(Array(x[0..<4])), classes: 3)
        for (got, want) in zip(p, probabilitiesOfFirstRow) { #expect(abs(got - want) < 1e-4) }
    }

    @Test func balancedWeightsMakeEveryClassWeighTheSame() {
        let w = balancedWeights(labels: [0, 0, 0, 1], classes: 3)
        let expected: [Double] = [4.0 / 6, 4.0 / 6, 4.0 / 6, 2]
        #expect(w == expected)
    }

    @Test func lbfgsFindsTheRosenbrockMinimum() {
        let result = LBFGS(maxIterations: 500, gradientTolerance: 1e-9).minimize(from: [-1.2, 1]) { x, g in
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            g[0] = -2 * a - 400 * x[0] * b
            g[1] = 200 * b
            return a * a + 100 * b * b
        }
        #expect(result.converged)
        #expect(abs(result.x[0] - 1) < 1e-6 && abs(result.x[1] - 1) < 1e-6)
    }

    @Test func brentFindsAParabolasMinimum() {
        let x = Brent.minimize(lower: -3, upper: 5) { ($0 - 1.25) * ($0 - 1.25) + 2 }
        #expect(abs(x - 1.25) < 1e-8)
    }
}
