import Crypto
import Foundation
import Learning
import Neighbors
import PlanktermCore
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// What `plankterm train` is asked to do.
public struct ClassifierSettings: Sendable {
    public var head: HeadSettings
    public var calibration: Calibration.Method
    public var folds: Int

    public init(
        head: HeadKind = TrainJobParameters.defaultHead, seed: UInt64 = TrainJobParameters.defaultSeed,
        calibration: Calibration.Method = TrainJobParameters.defaultCalibration,
        folds: Int = TrainJobParameters.defaultFolds, threads: Int = 2
    ) {
        self.head = HeadSettings(kind: head, seed: seed)
        self.head.threads = threads
        self.calibration = calibration
        self.folds = folds
    }
}

/// What `plankterm train` did (its `--json` object).
public struct TrainReport: Sendable, Codable, Equatable {
    public var modelId: String
    public var head: String
    public var labelsUsed: Int
    public var classes: Int
    public var imagesPredicted: Int
    public var outOfFoldAccuracy: Double?
    public var outOfFoldBalancedAccuracy: Double?
    public var eceBefore: Double?
    public var eceAfter: Double?
    public var temperature: Double
    public var folds: Int
    public var seconds: Double
    /// em or mean-posterior: how the shown probabilities were corrected to the project's class mix.
    public var priorCorrection: String
    /// Why EM was accepted or refused, in words.
    public var priorReason: String?
    /// The calibration chosen and the 95 % interval of the out-of-fold ECE; whether it can be trusted.
    public var calibration: String
    public var eceAfterLower: Double?
    public var eceAfterUpper: Double?
    public var calibrationTrusted: Bool?

    enum CodingKeys: String, CodingKey {
        case priorCorrection = "prior_correction"
        case priorReason = "prior_reason"
        case calibration
        case eceAfterLower = "ece_after_lower"
        case eceAfterUpper = "ece_after_upper"
        case calibrationTrusted = "calibration_trusted"
        case modelId = "model_id"
        case head
        case labelsUsed = "labels_used"
        case classes
        case imagesPredicted = "images_predicted"
        case outOfFoldAccuracy = "oof_accuracy"
        case outOfFoldBalancedAccuracy = "oof_balanced_accuracy"
        case eceBefore = "ece_before"
        case eceAfter = "ece_after"
        case temperature, folds, seconds
    }
}

/// A classifier version as the project database records it, with its parameters and metrics typed.
public typealias ClassifierVersionRecord = ClassifierRecord<ClassifierParameters, TrainMetrics>

extension ProjectStore {
    /// The current classifier version, if any.
    public func currentClassifier() throws -> ClassifierVersionRecord? {
        try currentClassifier(parameters: ClassifierParameters.self, metrics: TrainMetrics.self)
    }

    /// The classifier versions, newest first.
    public func classifiers() throws -> [ClassifierVersionRecord] {
        try classifiers(parameters: ClassifierParameters.self, metrics: TrainMetrics.self)
    }
}

/// The parameters recorded with a classifier version (model.parameters JSON).
public struct ClassifierParameters: Sendable, Codable, Equatable {
    public var head: HeadKind
    public var encoder: String
    /// Class ids of the model's outputs, in output order, and their names when trained.
    public var classIds: [Int64]
    public var classNames: [String]
    /// n_k, π_train (balanced) and the EM estimate of the project's mix used for display.
    public var counts: [Int]
    public var trainPrior: [Double]
    public var targetPrior: [Double]
    /// em, mean-posterior or train: see `PredictionSet.priorSource`.
    public var targetPriorSource: String?
    public var priorCheck: PriorCheck?
    public var calibration: Calibration
    public var seed: UInt64
    public var folds: Int
    /// Relative to the project: calibrated posteriors under π_train, float32 (images × classes).
    public var posteriorsFile: String
    /// The posteriors file's rows and SHA-256, checked whenever it is read (nil for models trained before
    /// they were recorded: those files get the size and value checks only).
    public var posteriorsRows: Int? = nil
    public var posteriorsSHA256: String? = nil
    /// The newest expert annotation when the model was trained (`latestExpertAnnotationId`): labels
    /// after it are new to the model.
    public var labelsThrough: Int64? = nil
    /// Why EM was accepted or refused for the shown probabilities (issue 15); nil for older models.
    public var priorDecision: PriorDecision? = nil
    /// The out-of-fold ECE with its interval, and whether the calibration can be trusted yet.
    public var calibrationQuality: CalibrationQuality? = nil
    /// The out-of-fold record (calibrated posteriors of held-out labels, float32, and their classes):
    /// the classifier's confusion that `abundance` carries into its intervals. Checked like the
    /// posteriors file.
    public var outOfFoldFile: String? = nil
    public var outOfFoldTruth: [Int]? = nil
    public var outOfFoldSHA256: String? = nil
    /// Which prior the stored call (`prediction.classId`) is made under: "balanced" (argmax of the
    /// balanced posteriors, issue 15). nil for models stored before: their call was the most probable class
    /// in the sample, and `upgradeCalls` rewrites it from the posteriors file the first time the model is
    /// used.
    public var call: String? = nil
    /// The map of the top-class probability applied after the prior shift (`PredictionSet.topLabelMap`);
    /// nil for models stored before it, whose shown probabilities are the shifted posteriors.
    public var topLabelMap: TopLabelCalibration? = nil

    /// The shown probabilities of balanced posteriors `q` (rows × k): shifted to `targetPrior`, then the
    /// top-label map. `train` and `target` default to the model's own priors.
    public func shown(_ q: [Double], classes k: Int, train: [Double]? = nil, target: [Double]? = nil) -> [Double] {
        let shifted = Probabilities.shiftPrior(q, classes: k, train: train ?? trainPrior, target: target ?? targetPrior)
        return topLabelMap?.apply(shifted, classes: k) ?? shifted
    }

    /// The `call` of every model trained now.
    public static let balancedCall = "balanced"
}

/// Fits, calibrates and applies a classifier to a project and installs it as the current model.
public struct ClassifierRun: Sendable {
    public var store: ProjectStore
    public var clock: any Clock

    public init(store: ProjectStore, clock: any Clock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Trains on the validated labels of embedded images, predicts every embedded image, and makes the new
    /// version current in one transaction (a failure before that leaves the previous model current).
    /// An error thrown by `progress` (a cancelled job) stops the run at its next report; nothing is
    /// installed then.
    public func train(_ settings: ClassifierSettings, progress: (String, Double) throws -> Void = { _, _ in }) throws
        -> TrainReport
    {
        let started = clock.now()
        // The change report compares with the current model's calls: an older model's are upgraded first
        // (a damaged file of the old model must not stop a new one).
        _ = try? Self.upgradeCalls(store: store)
        let embeddings = try ProjectEmbeddings.load(store: store)
        let features = embeddings.features
        let names = try store.classNames()
        let labelsThrough = try store.latestExpertAnnotationId()
        let validated = try store.validatedLabels()
        let (labelled, classIds) = try labelledRows(validated, embeddings: embeddings)
        let index = Dictionary(uniqueKeysWithValues: classIds.enumerated().map { ($1, $0) })
        let rows = labelled.map(\.row), labels = labelled.map { index[$0.classId]! }
        try progress("fitting \(settings.head.kind.rawValue) head on \(rows.count) labels", 0)
        let outcome = try Self.fit(
            settings, features: features, rows: rows, labels: labels, classes: classIds.count,
            progress: progress)
        let allRows = embeddings.rows
        try progress("predicting \(allRows.count) images", 0.8)
        let predictions = PredictionSet(
            head: outcome.head, calibration: outcome.calibration,
            trainPrior: outcome.trainPrior, features: features, rows: allRows,
            priorCheck: outcome.priorCheck, foldHeads: outcome.foldHeads,
            outOfFold: (outcome.outOfFoldPosteriors, outcome.outOfFoldTruth))
        let createdAt = clock.now()
        let modelId = Self.modelId(
            encoder: embeddings.encoderId, settings: settings, labels: labelled.count, time: createdAt)
        let files = ModelFiles(project: store.directory, modelId: modelId)
        let checksum = try Self.writeFloats(predictions.posteriors, to: files.posteriorsPath)
        // Until the model is installed its files are orphans: any failure from here removes them.
        do {
            let oofChecksum =
                outcome.outOfFoldTruth.isEmpty
                ? nil
                : try Self.writeFloats(outcome.outOfFoldPosteriors, to: files.outOfFoldPath)
            let parameters = ClassifierParameters(
                head: settings.head.kind, encoder: embeddings.encoderId, classIds: classIds,
                classNames: classIds.map { names[$0] ?? "class \($0)" }, counts: outcome.counts,
                trainPrior: outcome.trainPrior, targetPrior: predictions.targetPrior,
                targetPriorSource: predictions.priorSource, priorCheck: outcome.priorCheck,
                calibration: outcome.calibration,
                seed: settings.head.seed, folds: outcome.folds, posteriorsFile: files.posteriors,
                posteriorsRows: allRows.count, posteriorsSHA256: checksum, labelsThrough: labelsThrough,
                priorDecision: predictions.priorDecision, calibrationQuality: outcome.calibrationQuality,
                outOfFoldFile: oofChecksum == nil ? nil : files.outOfFold,
                outOfFoldTruth: oofChecksum == nil ? nil : outcome.outOfFoldTruth, outOfFoldSHA256: oofChecksum,
                call: ClassifierParameters.balancedCall, topLabelMap: predictions.topLabelMap)
            let records = Self.records(
                predictions, classIds: classIds, images: allRows.map { embeddings.rowImage[$0]! })
            let seconds = clock.now().timeIntervalSince(started)
            try progress("comparing with the current model", 0.9)
            let metrics = TrainMetrics(
                outOfFoldBefore: outcome.outOfFoldBefore, outOfFoldAfter: outcome.outOfFoldAfter,
                labels: rows.count, seconds: seconds, calibration: outcome.calibration.summary,
                calibrationQuality: outcome.calibrationQuality,
                priorSource: predictions.priorSource, priorReason: predictions.priorDecision?.reason)
            // The report is on disk before the model is installed: a current model always has one.
            try ModelChangeReport.make(
                store: store, modelId: modelId, createdAt: createdAt, labelsUsed: rows.count,
                names: names, validated: validated,
                records: records, metrics: metrics
            ).write(project: store.directory)
            try progress("installing the new model", 0.95)
            try store.installClassifier(
                id: modelId, parameters: parameters, metrics: metrics,
                createdAt: createdAt, predictions: records)
            try? progress("done", 1)
            return TrainReport(
                modelId: modelId, head: settings.head.kind, labelsUsed: rows.count,
                classes: classIds.count, imagesPredicted: records.count, seconds: seconds,
                outcome: outcome, predictions: predictions)
        } catch {
            files.remove()
            throw error
        }
    }

    /// The embedding rows that have a validated label, in row order, and the classes among them (sorted
    /// ids); at least 2 classes are needed.
    private func labelledRows(_ validated: [ImageID: Int64], embeddings: ProjectEmbeddings) throws
        -> (labelled: [(row: Int, classId: Int64)], classIds: [Int64])
    {
        var labelled: [(row: Int, classId: Int64)] = []
        for (image, classId) in validated {
            if let row = embeddings.rowOf[image] { labelled.append((row, classId)) }
        }
        labelled.sort { $0.row < $1.row }
        let classIds = Array(Set(labelled.map(\.classId))).sorted()
        guard classIds.count >= 2 else {
            throw ProjectError.notEnoughLabels(
                project: store.directory,
                reason:
                    "training needs validated labels of at least 2 classes (\(classIds.count) found among embedded images)"
            )
        }
        return (labelled, classIds)
    }

    /// Fits and calibrates the head (`ClassifierTraining`), reporting cross-validation as the first 80 % of
    /// the run; an error thrown by `progress` is rethrown once the fit returns.
    private static func fit(
        _ settings: ClassifierSettings, features: Features, rows: [Int], labels: [Int],
        classes k: Int, progress: (String, Double) throws -> Void
    ) throws -> TrainingOutcome {
        var stopped: (any Error)?
        let outcome = ClassifierTraining(
            settings: settings.head, calibration: settings.calibration, folds: settings.folds
        )
        .run(features, rows: rows, labels: labels, classes: k) { fraction in
            guard stopped == nil else { return }
            do { try progress("cross-validating", 0.8 * fraction) } catch { stopped = error }
        }
        if let stopped { throw stopped }
        return outcome
    }

    /// One prediction record per row of `predictions` (`images[i]` is row i's image): the call is the
    /// balanced decision (`PredictionSet.calls`, the "rare-class view") with its probability in this
    /// sample as `confidence`; `top` holds the five most probable classes in this sample ("expected in
    /// this sample"), so the call need not be `top[0]`.
    public static func records(_ predictions: PredictionSet, classIds: [Int64], images: [ImageID]) -> [PredictionRecord]
    {
        let k = predictions.classes
        return zip(predictions.calls, images).enumerated().map { i, pair in
            let (call, image) = pair
            let top = predictions.top(i)
            let u = predictions.uncertainty(i)
            return PredictionRecord(
                imageID: image, classID: classIds[call], confidence: predictions.corrected[i * k + call],
                top: top.map { (classIds[$0.index], Float($0.probability)) },
                leastConfidence: u.leastConfidence, margin: u.margin, entropy: u.entropy, row: i)
        }
    }

    /// Brings the current model's stored calls up to issue 15 if it was trained before (its parameters
    /// have no `call`): each prediction's class becomes the balanced call, argmax q of its row of the
    /// posteriors file, and its confidence that class's probability in this sample (p′ from the stored
    /// π_train and π_target), exactly what `train` stores now; the shown top 5 are unchanged. One
    /// transaction, once per model; every reader of the current model calls it first, so the screen,
    /// review by class, exports, `queue` and `eval` never mix the two calls. Returns whether it rewrote.
    /// A damaged posteriors file is refused (`ProjectError.damaged`) and nothing is written.
    @discardableResult
    public static func upgradeCalls(store: ProjectStore) throws -> Bool {
        guard let record = try store.currentClassifier() else { return false }
        var parameters = try parameters(of: record)
        guard parameters.call == nil else { return false }
        let matrix = try posteriors(project: store.directory, parameters: parameters)
        let k = parameters.classIds.count
        guard parameters.trainPrior.count == k, parameters.targetPrior.count == k else { return false }
        var calls: [(imageID: ImageID, classID: Int64, confidence: Double)] = []
        for p in try store.predictions(model: record.id).values where p.row >= 0 && p.row < matrix.rows {
            let q = matrix.row(p.row).map(Double.init)
            let call = Probabilities.balancedCalls(q, classes: k, train: parameters.trainPrior)[0]
            let shown = Probabilities.shiftPrior(
                q, classes: k, train: parameters.trainPrior, target: parameters.targetPrior)
            calls.append((p.imageID, parameters.classIds[call], shown[call]))
        }
        parameters.call = ClassifierParameters.balancedCall
        return try store.rewriteCalls(
            model: record.id, expected: try record.parameters.get(), parameters: parameters, calls: calls)
    }

    /// The current classifier with its parameters, posteriors file and predictions; `ProjectError.noModel`
    /// when none has been trained. A model from before issue 15 has its calls upgraded first
    /// (`upgradeCalls`).
    public static func current(store: ProjectStore) throws
        -> (
            record: ClassifierVersionRecord, parameters: ClassifierParameters, posteriors: MappedMatrix,
            predictions: [ImageID: PredictionRecord]
        )
    {
        try upgradeCalls(store: store)
        guard let record = try store.currentClassifier() else { throw ProjectError.noModel(project: store.directory) }
        let parameters = try parameters(of: record)
        let matrix = try posteriors(project: store.directory, parameters: parameters)
        let predictions = try store.predictions(model: record.id)
        if let bad = predictions.values.first(where: { $0.row < 0 || $0.row >= matrix.rows }) {
            throw ProjectError.damaged(
                path: ProjectLayout(directory: store.directory).resolve(parameters.posteriorsFile),
                reason: "it has \(matrix.rows) rows, but a prediction refers to row \(bad.row)",
                remedy: "train a new model ('plankterm train \(store.directory)')")
        }
        return (record, parameters, matrix, predictions)
    }

    /// Why the project's model is behind its labels, if it is: validated labels given or changed after the
    /// current model was trained (or labels of two classes and no model yet). nil when training is not due.
    public static func trainingDue(store: ProjectStore) throws -> String? {
        guard let record = try store.currentClassifier() else {
            let classes = Set(try store.validatedLabels().values).count
            return classes >= 2 ? "validated labels of \(classes) classes and no model yet" : nil
        }
        let parameters = try parameters(of: record)
        if let through = parameters.labelsThrough {
            let latest = try store.latestExpertAnnotationId()
            return latest > through ? "labels were given after model \(record.id) was trained" : nil
        }
        // A model from before `labelsThrough`: compare how many validated labels it had.
        let now = try store.validatedLabels().count, then = parameters.counts.reduce(0, +)
        return now != then ? "\(now) validated labels, model \(record.id) was trained on \(then)" : nil
    }

    /// Where a classifier version's posteriors go, relative to the project.
    public static func posteriorsFile(modelId: String) -> String { ProjectLayout.posteriorsFile(model: modelId) }
    /// Where its out-of-fold record goes.
    public static func outOfFoldFile(modelId: String) -> String { ProjectLayout.outOfFoldFile(model: modelId) }

    /// The out-of-fold record of a classifier version, if it has one; refused as damaged when the file is
    /// not what was written.
    public static func outOfFold(project: String, parameters: ClassifierParameters) throws -> AbundanceEstimate
        .OutOfFold?
    {
        guard let file = parameters.outOfFoldFile, let truth = parameters.outOfFoldTruth else { return nil }
        let path = ProjectLayout(directory: project).resolve(file)
        let k = parameters.classIds.count
        func damaged(_ reason: String) -> ProjectError {
            .damaged(path: path, reason: reason, remedy: "train a new model ('plankterm train \(project)')")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw damaged("it cannot be read") }
        guard data.count == truth.count * k * 4 else {
            throw damaged("\(data.count) bytes, \(truth.count * k * 4) expected (\(truth.count) labels × \(k) classes)")
        }
        let bytes = [UInt8](data)
        let checksum = bytes.withUnsafeBytes { DerivedFile.sha256($0) }
        if let expected = parameters.outOfFoldSHA256, checksum != expected {
            throw damaged("its content is not what was written (SHA-256 differs)")
        }
        let floats = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        guard floats.allSatisfy({ $0 >= 0 && $0 <= 1.0001 }), truth.allSatisfy({ $0 >= 0 && $0 < k }) else {
            throw damaged("it holds values that are not probabilities or classes")
        }
        return AbundanceEstimate.OutOfFold(posteriors: floats.map(Double.init), truth: truth)
    }

    /// The recorded parameters of a classifier version.
    public static func parameters(of record: ClassifierVersionRecord) throws -> ClassifierParameters {
        try record.parameters.get()
    }

    /// The calibrated posteriors (π_train) of a classifier version: rows in `prediction.row` order.
    /// A file that is missing, of the wrong size, not what was written (SHA-256) or not probabilities is
    /// refused with `ProjectError.damaged`: nothing is ever computed from a damaged file.
    public static func posteriors(project: String, parameters: ClassifierParameters) throws -> MappedMatrix {
        let path = ProjectLayout(directory: project).resolve(parameters.posteriorsFile)
        let remedy =
            "train a new model ('plankterm train \(project)') or make an earlier one current ('plankterm models \(project) --use ID')"
        func damaged(_ reason: String) -> ProjectError { .damaged(path: path, reason: reason, remedy: remedy) }
        let classes = parameters.classIds.count
        let matrix: MappedMatrix
        do {
            matrix = try MappedMatrix(path: path, columns: classes)
        } catch {
            throw damaged(error.reason)
        }
        if let expected = parameters.posteriorsRows {
            guard matrix.rows == expected, DerivedFile.size(path) == Int64(expected * classes * 4) else {
                throw damaged(
                    "\(DerivedFile.size(path) ?? 0) bytes, \(expected * classes * 4) expected (\(expected) images × \(classes) classes)"
                )
            }
        }
        let bytes = UnsafeRawBufferPointer(start: matrix.pointer, count: matrix.rows * classes * 4)
        if let expected = parameters.posteriorsSHA256, DerivedFile.sha256(bytes) != expected {
            throw damaged("its content is not what was written (SHA-256 differs)")
        }
        for i in 0..<(matrix.rows * classes) where !(matrix.pointer[i] >= 0 && matrix.pointer[i] <= 1.0001) {
            throw damaged("row \(i / classes) holds \(matrix.pointer[i]), not a probability")
        }
        return matrix
    }

    static func modelId(encoder: String, settings: ClassifierSettings, labels: Int, time: Date) -> String {
        let text =
            "\(encoder) \(settings.head.kind) \(settings.head.seed) \(labels) \(time.timeIntervalSince1970) \(UUID().uuidString)"
        return "clf-" + SHA256.hash(data: Data(text.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// JSON as plankterm writes it (stored model parameters and every `--json` output): sorted keys, one
    /// line, non-finite numbers as strings.
    public static func json(_ value: some Encodable) throws -> String { try StoredJSON.json(value) }

    /// Writes float32 values durably (a temporary file, fsync, rename); returns their SHA-256.
    static func writeFloats(_ values: [Double], to path: String) throws -> String {
        let floats = values.map { Float($0) }
        return try floats.withUnsafeBytes { bytes in
            try DerivedFile.write(bytes, to: path)
            return DerivedFile.sha256(bytes)
        }
    }
}

/// The metrics recorded with a classifier version (model.metrics JSON).
public struct TrainMetrics: Sendable, Codable, Equatable {
    public var outOfFoldBefore: ClassificationMetrics?
    public var outOfFoldAfter: ClassificationMetrics?
    public var labels: Int
    public var seconds: Double
    /// The calibration chosen, its out-of-fold ECE interval, and the prior correction (issue 15).
    public var calibration: String? = nil
    public var calibrationQuality: CalibrationQuality? = nil
    public var priorSource: String? = nil
    public var priorReason: String? = nil
}

/// The files of a classifier version being trained; until it is installed they are orphans.
private struct ModelFiles {
    /// The posteriors and out-of-fold files, relative to the project (as recorded in the parameters).
    let posteriors: String
    let outOfFold: String
    let posteriorsPath: String
    let outOfFoldPath: String
    let reportPath: String

    init(project: String, modelId: String) {
        posteriors = ClassifierRun.posteriorsFile(modelId: modelId)
        outOfFold = ClassifierRun.outOfFoldFile(modelId: modelId)
        let layout = ProjectLayout(directory: project)
        posteriorsPath = layout.resolve(posteriors)
        outOfFoldPath = layout.resolve(outOfFold)
        reportPath = layout.changeReport(model: modelId)
    }

    /// Removes whichever of the files were written.
    func remove() {
        unlink(posteriorsPath)
        unlink(outOfFoldPath)
        unlink(reportPath)
    }
}

extension TrainReport {
    /// The report of a training run, from what it fitted and predicted.
    fileprivate init(
        modelId: String, head: HeadKind, labelsUsed: Int, classes: Int, imagesPredicted: Int,
        seconds: Double, outcome: TrainingOutcome, predictions: PredictionSet
    ) {
        self.init(
            modelId: modelId, head: head.rawValue, labelsUsed: labelsUsed,
            classes: classes, imagesPredicted: imagesPredicted,
            outOfFoldAccuracy: outcome.outOfFoldAfter?.accuracy,
            outOfFoldBalancedAccuracy: outcome.outOfFoldAfter?.balancedAccuracy,
            eceBefore: outcome.outOfFoldBefore?.ece15, eceAfter: outcome.outOfFoldAfter?.ece15,
            temperature: outcome.calibration.temperature, folds: outcome.folds, seconds: seconds,
            priorCorrection: predictions.priorSource,
            priorReason: predictions.priorDecision?.reason,
            calibration: outcome.calibration.summary,
            eceAfterLower: outcome.calibrationQuality?.lower, eceAfterUpper: outcome.calibrationQuality?.upper,
            calibrationTrusted: outcome.calibrationQuality?.trusted)
    }
}
