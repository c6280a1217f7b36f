import Foundation

/// Calibrated predictions of a fitted head for many images, before and after the prior correction.
public struct PredictionSet: Sendable {
    public var classes: Int
    /// Calibrated posteriors under π_train (rows × classes): what the active-learning queue scores.
    public var posteriors: [Double]
    /// The same after the Bayes shift to `targetPrior` (rows × classes): what is shown and exported.
    public var corrected: [Double]
    /// The class mix estimated by EM over these images (or π_train when there were too few).
    public var targetPrior: [Double]
    /// How the target prior was found: "em", "mean-posterior" (EM failed the model's `PriorCheck`) or
    /// "train" (fewer than `minimumForEM` images).
    public var priorSource: String
    public var emIterations: Int

    /// Fewer images than this give an EM estimate too noisy to correct with.
    public static let minimumForEM = 200

    /// α of the EM estimate, as METHODS §5b says (≈ 1). It is a pseudo-count per class, so it weighs
    /// more in small groups: α = 10 gave a lower ECE on the whole dev set (0.018 vs 0.041, linear head)
    /// but pulled a 300-image sample with one class at 60 % back to near uniform (estimate 17 of 180).
    public static let smoothing = 1.0

    /// Order of METHODS §5: logits → calibration → Bayes shift to the EM estimate of this set's mix → softmax.
    public init(head: any ClassifierHead, calibration: Calibration, trainPrior: [Double], features: Features,
                rows: [Int], smoothing: Double = PredictionSet.smoothing, priorCheck: PriorCheck? = nil) {
        let k = head.classes
        classes = k
        posteriors = calibration.probabilities(head.logits(features, rows: rows), classes: k)
        emIterations = 0
        if rows.count < Self.minimumForEM {
            targetPrior = trainPrior
            priorSource = "train"
            corrected = posteriors
            return
        }
        if priorCheck?.trusted ?? true {
            let estimate = PriorShift.estimate(posteriors: posteriors, classes: k, trainPrior: trainPrior,
                                               smoothing: smoothing)
            targetPrior = estimate.prior
            priorSource = "em"
            emIterations = estimate.iterations
        } else {
            var mean = [Double](repeating: 0, count: k)
            let n = rows.count
            for i in 0..<n { for j in 0..<k { mean[j] += posteriors[i * k + j] / Double(n) } }
            targetPrior = mean
            priorSource = "mean-posterior"
        }
        corrected = Probabilities.shiftPrior(posteriors, classes: k, train: trainPrior, target: targetPrior)
    }

    public var count: Int { posteriors.count / classes }

    /// Row i of `corrected`: the `n` most probable classes, best first.
    public func top(_ i: Int, _ n: Int = 5) -> [(index: Int, probability: Double)] {
        let row = corrected[(i * classes)..<((i + 1) * classes)]
        return row.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(n).map { ($0.offset, $0.element) }
    }

    /// Uncertainty of row i under the balanced prior.
    public func uncertainty(_ i: Int) -> Uncertainty {
        Uncertainty(posteriors[(i * classes)..<((i + 1) * classes)])
    }
}
