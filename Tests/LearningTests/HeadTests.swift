import Foundation
import PlanktermCore
import TestSupport
import Testing

@testable import Learning

@Suite struct HeadTests {
    /// Well separated unit-vector clusters in 8 dimensions, with class sizes `sizes`, plus noise.
    static func clusters(sizes: [Int], noise: Float, seed: UInt64) -> (features: Features, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let d = 8
        var x: [Float] = [], y: [Int] = []
        for (c, size) in sizes.enumerated() {
            for _ in 0..<size {
                var v = (0..<d).map { _ in Float.random(in: -noise...noise, using: &rng) }
                v[c % d] += 1
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                x += v.map { $0 / norm }
                y.append(c)
            }
        }
        return (Features(embeddings: x, dimension: d, logSize: y.map { Float($0) * 0.1 }), y)
    }

    @Test(arguments: HeadKind.allCases)
    func eachHeadLearnsSeparableClustersAndCalibrates(kind: HeadKind) {
        let (features, labels) = Self.clusters(sizes: [60, 30, 15, 45], noise: 0.6, seed: 11)
        let rows = Array(0..<labels.count)
        var settings = HeadSettings(kind: kind, seed: 3)
        settings.maxEpochs = 60
        let outcome = ClassifierTraining(settings: settings).run(features, rows: rows, labels: labels, classes: 4)
        #expect(outcome.trainPrior == [0.25, 0.25, 0.25, 0.25])
        #expect(outcome.counts == [60, 30, 15, 45])
        let after = try! #require(outcome.outOfFoldAfter)
        #expect(after.n == labels.count)
        #expect(after.balancedAccuracy > 0.8, "\(kind): \(after.balancedAccuracy)")
        #expect(after.nll <= outcome.outOfFoldBefore!.nll + 1e-9)
        let p = Probabilities.softmax(outcome.head.logits(features, rows: rows), classes: 4)
        let accuracy =
            Double(zip(Probabilities.argmax(p, classes: 4), labels).filter { $0 == $1 }.count) / Double(labels.count)
        #expect(accuracy > 0.85)
    }

    @Test func stratifiedFoldsKeepTheClassMixAndHoldOutNoSingleton() {
        let labels = [Int](repeating: 0, count: 50) + [Int](repeating: 1, count: 10) + [2]
        let fold = stratifiedFolds(labels: labels, classes: 3, folds: 5, seed: 1)
        #expect(fold.last == -1)
        for f in 0..<5 {
            #expect(fold.indices.filter { fold[$0] == f && labels[$0] == 0 }.count == 10)
            #expect(fold.indices.filter { fold[$0] == f && labels[$0] == 1 }.count == 2)
        }
    }

    @Test func knnHeadVotesWithBalancedWeights() {
        // Query equals a class-1 point; class 0 has many slightly less similar points.
        let d = 2
        var x: [Float] = [1, 0]  // class 1, identical to the query
        for i in 0..<10 { let a = Float(i + 1) * 0.01; x += [cos(a), sin(a)] }  // class 0
        x += [1, 0]  // the query (row 11)
        let features = Features(embeddings: x, dimension: d)
        let head = KNNHead(
            features: features, rows: Array(0..<11), labels: [1] + [Int](repeating: 0, count: 10),
            classes: 2, neighbors: 20, temperature: 0.07)
        let p = Probabilities.softmax(head.logits(features, rows: [11]), classes: 2)
        // Balanced: class 0's ten votes are divided by 10, so the identical class-1 point wins.
        #expect(p[1] > p[0])
    }

    @Test func emCorrectsAbundanceUnderPriorShift() {
        // Calibrated posteriors under a uniform prior: x ~ N(μ_y, 1) with μ = 0, 1.5, 3, so that
        // p(k|x) = softmax(−(x − μ_k)²/2). The sample is 80 % class 0.
        var rng = SeededGenerator(seed: 5)
        var posteriors: [Double] = [], truth = [Double](repeating: 0, count: 3)
        let means = [0.0, 1.5, 3.0]
        for i in 0..<3000 {
            let y = i < 2400 ? 0 : (i < 2700 ? 1 : 2)
            truth[y] += 1
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
            let x = means[y] + (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            posteriors += Probabilities.softmax(means.map { -($0 - x) * ($0 - x) / 2 }, classes: 3)
        }
        let estimate = AbundanceEstimate(
            posteriors: posteriors, classes: 3, trainPrior: [1.0 / 3, 1.0 / 3, 1.0 / 3],
            bootstrap: 20, seed: 1)
        let emError = AbundanceEstimate.absoluteError(estimate.corrected, truth: truth)
        let ccError = AbundanceEstimate.absoluteError(estimate.classifyAndCount, truth: truth)
        #expect(emError < ccError)
        for j in 0..<3 {
            #expect(
                estimate.correctedLower[j] <= estimate.corrected[j] + 1e-9
                    && estimate.corrected[j] <= estimate.correctedUpper[j] + 1e-9)
        }
    }

    @Test func priorCheckComparesEMWithTheMeanPosteriorOnShiftedMixes() {
        // Perfect posteriors: on every shifted resample the mean posterior is exact, and so is EM.
        let truth = [0, 0, 0, 1, 2, 2]
        let p = truth.flatMap { y in (0..<3).map { $0 == y ? 1.0 : 0.0 } }
        let check = PriorCheck(
            posteriors: p, truth: truth, classes: 3, trainPrior: [1.0 / 3, 1.0 / 3, 1.0 / 3], smoothing: 0)
        #expect(check.meanPosteriorError < 1e-9 && check.emError < 1e-6)
        // Posteriors that hedge (0.6 on the truth): the mean posterior is pulled toward uniform, EM undoes it.
        let soft = truth.flatMap { y in (0..<3).map { $0 == y ? 0.6 : 0.2 } }
        let hedged = PriorCheck(
            posteriors: soft, truth: truth, classes: 3, trainPrior: [1.0 / 3, 1.0 / 3, 1.0 / 3], smoothing: 0)
        #expect(hedged.emError < hedged.meanPosteriorError && hedged.trusted)
    }

    @Test func emThatOverturnsMostDecisionsIsRefused() {
        // Two classes; the images lean weakly to class 1 (0.45 / 0.55) except a few confident class-0 ones:
        // EM drives the mix to class 0 and flips most top classes; the decision falls back.
        var p: [Double] = []
        for i in 0..<400 { p += i < 60 ? [0.99, 0.01] : [0.45, 0.55] }
        let decision = PriorDecision(
            posteriors: p, classes: 2, trainPrior: [0.5, 0.5], smoothing: 0, labelledCheck: nil)
        #expect(decision.flipped > PriorDecision.maximumFlipped)
        #expect(!decision.accepted && decision.reason.contains("change the top class"))
        // Images that all say the same as the balanced prior: nothing to gain, so the mean posterior is used.
        let flat = [Double](repeating: 0.5, count: 800)
        let none = PriorDecision(posteriors: flat, classes: 2, trainPrior: [0.5, 0.5], smoothing: 1, labelledCheck: nil)
        #expect(!none.accepted && none.reason.contains("within noise"))
    }

    @Test func calibrationQualityHasAnIntervalAroundTheECE() {
        var rng = SeededGenerator(seed: 3)
        var p: [Double] = [], truth: [Int] = []
        for _ in 0..<300 {
            let c = Double.random(in: 0.5..<1, using: &rng)
            p += [c, 1 - c]
            truth.append(Double.random(in: 0..<1, using: &rng) < c ? 0 : 1)
        }
        let q = CalibrationQuality(probabilities: p, classes: 2, truth: truth)
        #expect(q.lower <= q.ece && q.ece <= q.upper && q.labels == 300)
        #expect(q.trusted == (q.upper <= CalibrationQuality.trustedUpperECE))
        // Overconfident: says 0.99, right 60 % of the time.
        let over = CalibrationQuality(
            probabilities: [Double]((0..<300).flatMap { _ in [0.99, 0.01] }), classes: 2,
            truth: (0..<300).map { $0 % 5 < 3 ? 0 : 1 })
        #expect(over.ece > 0.3 && !over.trusted && over.caution != nil)
    }

    @Test func adjustedCountUndoesAKnownConfusion() {
        // Classifier: true 0 → predicted 0 80 %, 1 20 %; true 1 → 1 always. A sample of 100 class-0 images
        // is counted 80 / 20; ACC recovers 100 / 0.
        let confusion = [0.8, 0.0, 0.2, 1.0]  // C[j * k + c]
        let pi = AbundanceEstimate.adjustedCount(counts: [80, 20], confusion: confusion, classes: 2)
        #expect(abs(pi[0] - 1) < 1e-3 && pi[1] < 1e-3)
    }

    @Test func abundanceCarriesTheOutOfFoldRecordIntoAdjustedCountsAndIntervals() {
        var rng = SeededGenerator(seed: 5)
        func row(_ y: Int) -> [Double] {
            let c = Double.random(in: 0.6..<0.9, using: &rng)
            return y == 0 ? [c, 1 - c] : [1 - c, c]
        }
        let sample = (0..<300).flatMap { row($0 < 200 ? 0 : 1) }
        let oofTruth = (0..<40).map { $0 % 2 }
        let oof = AbundanceEstimate.OutOfFold(posteriors: oofTruth.flatMap { row($0) }, truth: oofTruth)
        let plain = AbundanceEstimate(posteriors: sample, classes: 2, trainPrior: [0.5, 0.5], bootstrap: 60, seed: 1)
        let full = AbundanceEstimate(
            posteriors: sample, classes: 2, trainPrior: [0.5, 0.5], bootstrap: 60, seed: 1, outOfFold: oof)
        #expect(full.includesClassifierUncertainty && !plain.includesClassifierUncertainty)
        // What the out-of-fold record is for: the classifier's uncertainty widens the intervals, and the
        // less the record says (fewer held-out labels), the wider. With 60 replicates and a 40-label record
        // whose posteriors all lie in 0.6–0.9 the added spread is a few per cent, below the noise of the
        // 2.5 / 97.5 % order statistics of 60 draws, so the comparison is made with 400 replicates and a
        // record whose per-class calibration is genuinely uncertain (10 labels a class, 0.5–1).
        func widths(_ e: AbundanceEstimate) -> Double {
            (0..<2).reduce(0) { $0 + e.correctedUpper[$1] - e.correctedLower[$1] }
        }
        func record(_ perClass: Int) -> AbundanceEstimate.OutOfFold {
            let t = (0..<(2 * perClass)).map { $0 % 2 }
            let rows = t.flatMap { y -> [Double] in
                let c = Double.random(in: 0.5..<1, using: &rng)
                return y == 0 ? [c, 1 - c] : [1 - c, c]
            }
            return AbundanceEstimate.OutOfFold(posteriors: rows, truth: t)
        }
        let base = AbundanceEstimate(posteriors: sample, classes: 2, trainPrior: [0.5, 0.5], bootstrap: 400, seed: 2)
        let few = AbundanceEstimate(
            posteriors: sample, classes: 2, trainPrior: [0.5, 0.5], bootstrap: 400, seed: 2,
            outOfFold: record(10))
        let many = AbundanceEstimate(
            posteriors: sample, classes: 2, trainPrior: [0.5, 0.5], bootstrap: 400, seed: 2,
            outOfFold: record(1_000))
        #expect(widths(few) > 1.2 * widths(base), "\(widths(few)) vs \(widths(base))")
        #expect(widths(few) > widths(many) && widths(many) < 1.15 * widths(base), "\(widths(many))")
        for j in 0..<2 {
            #expect(full.correctedLower[j] <= full.corrected[j] && full.corrected[j] <= full.correctedUpper[j])
        }
        let adjusted = try! #require(full.adjusted)
        #expect(full.adjustedLower![0] <= adjusted[0] && adjusted[0] <= full.adjustedUpper![0])
        for j in 0..<2 { #expect(full.correctedLower[j] == full.correctedLower[j].rounded(.down)) }
    }

    @Test(.tags(.slow)) func intervalsWithTheOutOfFoldRecordCoverAClassThePosteriorsUnderRate() {
        // A classifier whose posteriors hedge class 0 against class 1 (class-0 images get about 0.45 / 0.45):
        // on samples where class 0 is 60 %, EM under-counts it whatever the sample size, and resampling the
        // images alone gives an interval around the wrong number. The held-out record (20 labels a class)
        // shows the same hedging, so the simulated samples' errors move the interval onto the truth.
        var rng = SeededGenerator(seed: 11)
        let centres = [[0.55, 0.35, 0.10], [0.15, 0.75, 0.10], [0.10, 0.10, 0.80]]
        func row(_ y: Int) -> [Double] {
            let r = centres[y].map { max(0.01, $0 + Double.random(in: -0.05..<0.05, using: &rng)) }
            let s = r.reduce(0, +)
            return r.map { $0 / s }
        }
        let oofTruth = (0..<60).map { $0 % 3 }
        let oof = AbundanceEstimate.OutOfFold(posteriors: oofTruth.flatMap { row($0) }, truth: oofTruth)
        var covered = 0, plainCovered = 0
        let samples = 30
        for s in 0..<samples {
            let truth = (0..<250).map { $0 < 150 ? 0 : ($0 < 200 ? 1 : 2) }
            let p = truth.flatMap { row($0) }
            let plain = AbundanceEstimate(
                posteriors: p, classes: 3, trainPrior: [1.0 / 3, 1.0 / 3, 1.0 / 3],
                bootstrap: 100, seed: UInt64(s))
            let full = AbundanceEstimate(
                posteriors: p, classes: 3, trainPrior: [1.0 / 3, 1.0 / 3, 1.0 / 3],
                bootstrap: 100, seed: UInt64(s), outOfFold: oof)
            plainCovered += plain.correctedLower[0] <= 150 && 150 <= plain.correctedUpper[0] ? 1 : 0
            covered += full.correctedLower[0] <= 150 && 150 <= full.correctedUpper[0] ? 1 : 0
            #expect(full.correctedLower[0] <= full.corrected[0] && full.corrected[0] <= full.correctedUpper[0])
        }
        #expect(plainCovered < samples / 2, "resampling alone covered \(plainCovered) of \(samples)")
        #expect(covered >= samples * 8 / 10, "with the record: \(covered) of \(samples)")
    }

    @Test func aClassTheClassifierFindsHalfTheTimeCanHideBehindOnePrediction() {
        // With a recall known to be ½, t images of a class give Binomial(t, ½) found ones; one found (or
        // none) is still 2.5 % likely from 8 images (9/256) but not from 9 (10/512).
        let sure = 50_000.5
        #expect(abs(AbundanceEstimate.Record.betaBinomialCDF(1, trials: 8, a: sure, b: sure) - 9.0 / 256) < 1e-3)
        #expect(abs(AbundanceEstimate.Record.betaBinomialCDF(1, trials: 9, a: sure, b: sure) - 10.0 / 512) < 1e-3)
        #expect(AbundanceEstimate.Record.betaBinomialCDF(3, trials: 3, a: 1, b: 1) == 1)
        // A record of 20 labels a class where class 2 is predicted as itself 10 times and as class 0 the
        // other 10; a group of 300 whose single prediction of class 2 the estimators put at about 0: the
        // upper bound is the detection limit (about 8 with a recall of ½ known from 20 labels; more, not
        // less, for the uncertainty of that recall), while a class found every time keeps its own bound.
        let sharp = [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]
        let truth = (0..<60).map { $0 % 3 }
        let rows = truth.enumerated().flatMap { i, y in y == 2 && i % 2 == 0 ? sharp[0] : sharp[y] }
        let oof = AbundanceEstimate.OutOfFold(posteriors: rows, truth: truth)
        let group = (0..<300).flatMap { i in i == 0 ? sharp[2] : sharp[i % 2] }
        let e = AbundanceEstimate(
            posteriors: group, classes: 3, trainPrior: [1.0 / 3, 1.0 / 3, 1.0 / 3], bootstrap: 60, seed: 3,
            outOfFold: oof)
        #expect(e.classifyAndCount[2] == 1)
        #expect(e.correctedUpper[2] >= 8 && e.correctedUpper[2] <= 20, "\(e.correctedUpper[2])")
        #expect(e.adjustedUpper![2] >= 8 && e.adjustedUpper![2] <= 20, "\(e.adjustedUpper![2])")
        #expect(e.correctedLower[2] <= 1)
        // Class 1 is found in every held-out image: its bound is its own interval, a few images wide.
        #expect(e.correctedUpper[1] - e.corrected[1] < 25, "\(e.correctedUpper[1]) vs \(e.corrected[1])")
    }

    @Test func queueOrdersByUncertaintyMixesRandomAndExplains() {
        let posteriors: [Double] = [
            0.9, 0.1, 0.55, 0.45, 0.6, 0.4, 0.99, 0.01, 0.5, 0.5,
            0.7, 0.3, 0.8, 0.2, 0.95, 0.05, 0.65, 0.35, 0.75, 0.25
        ]
        let margin = QueueBuilder(strategy: .margin, randomFraction: 0, seed: 1)
            .select(
                count: 3, candidates: Array(100..<110), posteriors: posteriors, classes: 2, features: nil,
                classNames: ["copepod", "diatom"])
        #expect(margin.map(\.row) == [104, 101, 102])
        #expect(margin[0].reason.contains("copepod") && margin[0].reason.contains("close call"))
        let mixed = QueueBuilder(strategy: .margin, randomFraction: 0.5, seed: 1)
            .select(
                count: 4, candidates: Array(100..<110), posteriors: posteriors, classes: 2, features: nil,
                classNames: ["copepod", "diatom"])
        #expect(mixed.count == 4 && Set(mixed.map(\.row)).count == 4)
        #expect(mixed.filter { $0.reason.hasPrefix("random") }.count == 2)
    }

    @Test func diverseQueueSpreadsOverClusters() {
        // Two tight clusters of equally uncertain images: a batch of 2 takes one from each.
        var x: [Float] = []
        for i in 0..<10 { x += i < 5 ? [1, Float(i) * 0.001] : [Float(i) * 0.001, 1] }
        let features = Features(embeddings: x, dimension: 2)
        var posteriors: [Double] = []
        for i in 0..<10 {
            let shift = Double(i) * 0.001
            posteriors += [0.5 + shift, 0.5 - shift]
        }
        let items = QueueBuilder(strategy: .diverse, randomFraction: 0, seed: 1)
            .select(
                count: 2, candidates: Array(0..<10), posteriors: posteriors, classes: 2, features: features,
                classNames: ["a", "b"])
        #expect(items.count == 2)
        #expect(Set(items.map { $0.row < 5 }) == [true, false])
    }
}
