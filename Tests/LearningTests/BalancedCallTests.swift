import Foundation
import Testing

@testable import Learning

/// Issue 15: the call (the class a model assigns) is the balanced decision argmax q, while the shown
/// probabilities are corrected to the sample's class mix.
@Suite struct BalancedCallTests {
    @Test("the balanced call is argmax of q / π_train, never a class with π_train 0")
    func balancedCallUndoesTheTrainingPrior() {
        // Row 0: q favours class 0, but under π_train (0.7, 0.2, 0.1) class 2 is the balanced favourite
        // (0.3 / 0.1 = 3 against 0.5 / 0.7 ≈ 0.71). Row 1: class 1 has π_train 0 and is never called.
        let q: [Double] = [0.5, 0.2, 0.3, 0.2, 0.7, 0.1]
        #expect(Probabilities.balancedCalls(q, classes: 3, train: [0.7, 0.2, 0.1]) == [2, 1])
        #expect(Probabilities.balancedCalls(q, classes: 3, train: [0.5, 0, 0.5]) == [0, 0])
        // Uniform π_train (every head plankterm trains): argmax q.
        #expect(
            Probabilities.balancedCalls(q, classes: 3, train: [1.0 / 3, 1.0 / 3, 1.0 / 3])
                == Probabilities.argmax(q, classes: 3))
    }

    /// 300 images, 270 leaning to class 0 and 30 leaning (q 0.55) to class 1: the sample's mix makes
    /// class 0 the more probable in this sample for the 30, while the call stays class 1.
    static func skewedSample() -> [Double] {
        var q: [Double] = []
        for i in 0..<300 { q += i < 270 ? [0.8, 0.2] : [0.45, 0.55] }
        return q
    }

    @Test("a prediction set calls argmax q where the corrected probabilities favour another class")
    func callsAreTheBalancedDecision() throws {
        let q = Self.skewedSample()
        let set = PredictionSet(posteriors: q, classes: 2, trainPrior: [0.5, 0.5])
        #expect(set.targetPrior[0] > 0.6)
        let sampleCall = Probabilities.argmax(set.corrected, classes: 2)
        let calls = set.calls
        #expect(calls == Probabilities.argmax(q, classes: 2))
        #expect(calls[299] == 1 && sampleCall[299] == 0)
        #expect(set.top(299)[0].index == 0)  // the shown top class is the sample's
        #expect(zip(calls, sampleCall).filter { $0 != $1 }.count == 30)
    }

    @Test("metrics count the calls given, and keep the calibration errors of the probabilities")
    func metricsOfCalls() {
        let q = Self.skewedSample()
        let set = PredictionSet(posteriors: q, classes: 2, trainPrior: [0.5, 0.5])
        // Truth: the first 270 are class 0, of the last 30 twenty are class 1.
        let truth = (0..<300).map { $0 < 270 ? 0 : ($0 < 290 ? 1 : 0) }
        let sample = ClassificationMetrics(probabilities: set.corrected, classes: 2, truth: truth)
        let called = ClassificationMetrics(probabilities: set.corrected, classes: 2, truth: truth, calls: set.calls)
        // The sample call is right on 280 of 300 but finds none of class 1; the balanced call finds all 20
        // and calls 10 of class 0 wrongly.
        #expect(abs(sample.accuracy - 280.0 / 300) < 1e-12 && sample.balancedAccuracy == 0.5)
        #expect(sample.confusion == [[280, 0], [20, 0]])
        #expect(abs(called.accuracy - 290.0 / 300) < 1e-12)
        #expect(abs(called.balancedAccuracy - (270.0 / 280 + 20.0 / 20) / 2) < 1e-12)
        #expect(called.confusion == [[270, 10], [0, 20]])
        #expect(called.ece15 == sample.ece15 && called.nll == sample.nll && called.reliability == sample.reliability)
    }
}
