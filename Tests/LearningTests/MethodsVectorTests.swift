import Foundation
import Testing

@testable import Learning

/// Hand-checked test vectors: softmax at a temperature, ECE, the Bayes prior shift, the EM prior estimate
/// and the uncertainty scores.
@Suite struct MethodsVectorTests {
    @Test func softmaxAtTemperature() {
        let p = Probabilities.softmax([2.0, 1.0, 0.1], classes: 3, temperature: 1.5)
        for (got, want) in zip(p, [0.557045, 0.285997, 0.156958]) { #expect(abs(got - want) < 5e-7) }
    }

    @Test func expectedCalibrationErrorWith15Bins() {
        let ece = ClassificationMetrics.expectedCalibrationError(
            confidence: [0.95, 0.9, 0.6, 0.55, 0.8],
            correct: [true, true, false, true, false], bins: 15)
        #expect(abs(ece - 0.22) < 1e-12)
    }

    @Test func bayesShiftToAKnownPrior() {
        let p = Probabilities.shiftPrior(
            [0.3, 0.5, 0.1, 0.1], classes: 4, train: [0.25, 0.25, 0.25, 0.25],
            target: [0.97, 0.01, 0.01, 0.01])
        for (got, want) in zip(p, [0.976510, 0.016779, 0.003356, 0.003356]) { #expect(abs(got - want) < 5e-7) }
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
    }

    @Test func emEstimateOfAnUnknownPrior() {
        let posteriors: [Double] = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9]
        let estimate = PriorShift.estimate(posteriors: posteriors, classes: 2, trainPrior: [0.5, 0.5], smoothing: 0)
        #expect(estimate.converged)
        #expect(abs(estimate.prior[0] - 0.4085) < 5e-5)
        #expect(abs(estimate.prior[1] - 0.5915) < 5e-5)
    }

    @Test func uncertaintyScores() {
        let u = Uncertainty([0.5, 0.3, 0.2])
        #expect(abs(u.leastConfidence - 0.5) < 1e-12)
        #expect(abs(u.margin - 0.2) < 1e-12)
        #expect(abs(u.entropy - 1.029653) < 5e-7)
    }
}
