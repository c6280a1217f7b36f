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
    /// π_train, the prior `posteriors` are under.
    public var trainPrior: [Double]
    /// How the target prior was found: "em", "mean-posterior" (EM refused: see `priorDecision`) or
    /// "train" (fewer than `minimumForEM` images).
    public var priorSource: String
    /// Why: the checks EM had to pass (nil when there were too few images to run it).
    public var priorDecision: PriorDecision?
    public var emIterations: Int
    /// The map of the top-class probability applied last to `corrected` (`TopLabelCalibration`, fitted on
    /// the out-of-fold posteriors for `targetPrior`); nil without out-of-fold posteriors.
    public var topLabelMap: TopLabelCalibration?

    /// Fewer images than this give an EM estimate too noisy to correct with.
    public static let minimumForEM = 200

    /// α of the EM estimate, which smooths rare classes as π_k ← (Σ_i w_ik + α)/(N + Kα) so that no
    /// prior collapses to 0 (α ≈ 1), generalised to a Dirichlet prior toward the mean
    /// posterior with concentration kα (`PriorShift.estimate(anchor:)`). As pseudo-counts toward a
    /// uniform mix, α = 10 pulled a 300-image sample with one class at 60 % back to near uniform
    /// (estimate 17 of 180); toward the mean posterior the pull goes where the images already point.
    public static let smoothing = 1.0

    /// Order: logits → calibration → Bayes shift to the EM estimate of this set's mix → with `outOfFold`
    /// (the calibrated out-of-fold posteriors and their classes), the top-label map fitted for that mix.
    /// BCTS fits the whole vector by likelihood and, at 121 classes, left the top class over-confident
    /// above ~50 % and under-confident below (scored ECE 0.072–0.085); the map brings it to 0.022–0.028.
    ///
    /// With `foldHeads` (the cross-validation heads) EM estimates the mix from the mean of their
    /// calibrated posteriors: those are the posteriors the calibration was fitted on and the labelled
    /// check measured, while the head refitted on all labels can be calibrated on average yet biased per
    /// class (the MLP head on the dev set: EM on its posteriors gave accuracy 0.38 where the balanced
    /// prior gave 0.42). The shift is then applied to `head`'s posteriors.
    public init(
        head: any ClassifierHead, calibration: Calibration, trainPrior: [Double], features: Features,
        rows: [Int], smoothing: Double = PredictionSet.smoothing, priorCheck: PriorCheck? = nil,
        foldHeads: [any ClassifierHead] = [], outOfFold: (posteriors: [Double], truth: [Int])? = nil
    ) {
        let k = head.classes
        var estimation: [Double]?
        if !foldHeads.isEmpty, rows.count >= Self.minimumForEM {
            var sum = [Double](repeating: 0, count: rows.count * k)
            for fold in foldHeads {
                let p = calibration.probabilities(fold.logits(features, rows: rows), classes: k)
                for i in sum.indices { sum[i] += p[i] }
            }
            estimation = sum.map { $0 / Double(foldHeads.count) }
        }
        self.init(
            posteriors: calibration.probabilities(head.logits(features, rows: rows), classes: k), classes: k,
            trainPrior: trainPrior, smoothing: smoothing, priorCheck: priorCheck, estimationPosteriors: estimation)
        if let outOfFold, !outOfFold.truth.isEmpty {
            let map = TopLabelCalibration.fit(
                outOfFold: outOfFold.posteriors, truth: outOfFold.truth, classes: k,
                train: trainPrior, target: targetPrior)
            topLabelMap = map
            corrected = map.apply(corrected, classes: k)
        }
    }

    /// The same from calibrated posteriors (rows × k, under `trainPrior`); `estimationPosteriors` (same
    /// shape) are what EM and its checks run on, when not `posteriors` themselves.
    public init(
        posteriors: [Double], classes k: Int, trainPrior: [Double], smoothing: Double = PredictionSet.smoothing,
        priorCheck: PriorCheck? = nil, estimationPosteriors: [Double]? = nil
    ) {
        classes = k
        self.posteriors = posteriors
        self.trainPrior = trainPrior
        emIterations = 0
        topLabelMap = nil
        let n = posteriors.count / k
        if n < Self.minimumForEM {
            targetPrior = trainPrior
            priorSource = "train"
            priorDecision = nil
            corrected = posteriors
            return
        }
        let decision = PriorDecision(
            posteriors: estimationPosteriors ?? posteriors, classes: k, trainPrior: trainPrior, smoothing: smoothing,
            labelledCheck: priorCheck)
        targetPrior = decision.accepted ? decision.emPrior : decision.meanPosterior
        priorSource = decision.accepted ? "em" : "mean-posterior"
        emIterations = decision.iterations
        priorDecision = decision
        corrected = Probabilities.shiftPrior(posteriors, classes: k, train: trainPrior, target: targetPrior)
    }

    public var count: Int { posteriors.count / classes }

    /// Row i of `corrected`: the `n` most probable classes, best first.
    public func top(_ i: Int, _ n: Int = 5) -> [(index: Int, probability: Double)] {
        let row = corrected[(i * classes)..<((i + 1) * classes)]
        return row.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(n).map { ($0.offset, $0.element) }
    }

    /// The call of every row: the class the model assigns, for per-class use (review by class, export,
    /// `eval`'s confusion and balanced accuracy). It is the balanced decision, argmax q
    /// (`Probabilities.balancedCalls`), not argmax of `corrected`: a call under the sample's prior almost
    /// never names a class whose share is small (DESIGN.md, "Which prior the call is made under").
    public var calls: [Int] { Probabilities.balancedCalls(posteriors, classes: classes, train: trainPrior) }

    /// Uncertainty of row i under the balanced prior.
    public func uncertainty(_ i: Int) -> Uncertainty {
        Uncertainty(posteriors[(i * classes)..<((i + 1) * classes)])
    }
}

/// Whether the EM estimate of a set's class mix may correct the shown probabilities (issue 15). EM runs
/// with a Dirichlet prior toward the mean posterior and must pass three checks, else the mean posterior is
/// the target prior:
/// 1. on the out-of-fold labelled images, whose mix is known, it estimates that mix at least as well as
///    the mean posterior (`PriorCheck`);
/// 2. on these images, it changes the top class of at most `maximumFlipped` of them (relative to the
///    mean-posterior prior): an estimate that overturns most of the classifier's decisions is a collapse,
///    not a correction;
/// 3. its gain in log-likelihood over the mean posterior, measured on held-out halves (EM fitted on one
///    half, scored on the other, both ways), exceeds twice its standard error: a gain within noise is
///    not worth showing.
public struct PriorDecision: Sendable, Codable, Equatable {
    public var accepted: Bool
    /// In words, for `report` and the screen.
    public var reason: String
    public var emPrior: [Double]
    public var meanPosterior: [Double]
    public var iterations: Int
    /// Fraction of images whose top class EM's prior changes (vs the mean-posterior prior).
    public var flipped: Double
    /// Held-out log-likelihood gain of EM over the mean posterior (nats, summed over the images) and its
    /// standard error.
    public var gain: Double
    public var gainError: Double
    public var labelledCheck: PriorCheck?

    public static let maximumFlipped = 0.5

    public init(
        posteriors p: [Double], classes k: Int, trainPrior: [Double], smoothing: Double,
        labelledCheck: PriorCheck?
    ) {
        let n = p.count / k
        meanPosterior = PriorShift.meanPosterior(p, classes: k)
        let estimate = PriorShift.estimate(
            posteriors: p, classes: k, trainPrior: trainPrior, smoothing: smoothing,
            anchor: meanPosterior)
        emPrior = estimate.prior
        iterations = estimate.iterations
        self.labelledCheck = labelledCheck
        let withEM = Probabilities.argmax(
            Probabilities.shiftPrior(p, classes: k, train: trainPrior, target: emPrior), classes: k)
        let withMean = Probabilities.argmax(
            Probabilities.shiftPrior(p, classes: k, train: trainPrior, target: meanPosterior),
            classes: k)
        flipped = Double(zip(withEM, withMean).filter { $0 != $1 }.count) / Double(max(n, 1))
        // Held-out halves: even and odd images.
        var differences: [Double] = []
        differences.reserveCapacity(n)
        for half in 0..<2 {
            let fitRows = stride(from: half, to: n, by: 2), scoreRows = stride(from: 1 - half, to: n, by: 2)
            let fitP = fitRows.flatMap { p[($0 * k)..<($0 * k + k)] },
                scoreP = scoreRows.flatMap { p[($0 * k)..<($0 * k + k)] }
            guard !fitP.isEmpty, !scoreP.isEmpty else { continue }
            let mean = PriorShift.meanPosterior(fitP, classes: k)
            let em = PriorShift.estimate(
                posteriors: fitP, classes: k, trainPrior: trainPrior, smoothing: smoothing,
                anchor: mean
            ).prior
            let a = PriorShift.logLikelihoods(posteriors: scoreP, classes: k, trainPrior: trainPrior, prior: em)
            let b = PriorShift.logLikelihoods(posteriors: scoreP, classes: k, trainPrior: trainPrior, prior: mean)
            differences += zip(a, b).map { $0 - $1 }
        }
        let m = Double(differences.count)
        gain = differences.reduce(0, +)
        let average = m > 0 ? gain / m : 0
        let variance = m > 1 ? differences.reduce(0) { $0 + ($1 - average) * ($1 - average) } / (m - 1) : 0
        gainError = (variance * m).squareRoot()
        if let labelledCheck, !labelledCheck.trusted {
            accepted = false
            reason = String(
                format:
                    "EM refused: on the labelled images it missed their known mix by %.2f, the mean posterior by %.2f",
                labelledCheck.emError, labelledCheck.meanPosteriorError)
        } else if flipped > Self.maximumFlipped {
            accepted = false
            reason = String(format: "EM refused: it would change the top class of %.0f %% of the images", flipped * 100)
        } else if gain <= 2 * gainError {
            accepted = false
            reason = String(
                format: "EM refused: its gain over the mean posterior (%.1f nats, ± %.1f) is within noise",
                gain, gainError)
        } else {
            accepted = true
            reason = String(
                format: "EM accepted: held-out gain %.1f nats (± %.1f), %.0f %% of top classes changed",
                gain, gainError, flipped * 100)
        }
    }
}
