import Foundation
import Learning
import PlanktermCore
import Store

/// What changed when a model replaced the previous one (issue "background learning queue", item 5):
/// written beside the model as `models/<id>.report.json` before the model is installed, read by
/// `plankterm report` and by the labeling screen when the model lands.
public struct ModelChangeReport: Sendable, Codable, Equatable {
    public struct ClassChange: Sendable, Codable, Equatable {
        public var name: String
        /// Unlabelled images predicted as the class by the previous and by the new model.
        public var before: Int
        public var after: Int
    }

    public var modelId: String
    public var previousModelId: String?
    public var createdAt: Date
    public var labelsUsed: Int
    /// Images predicted by both models whose top class differs.
    public var predictionsChanged: Int
    public var imagesPredicted: Int
    /// Validated labels whose image the model puts in another class, before and after.
    public var disagreementsBefore: Int?
    public var disagreementsAfter: Int
    /// Out-of-fold figures of the previous and the new model (after calibration).
    public var eceBefore: Double?
    public var eceAfter: Double?
    public var balancedAccuracyBefore: Double?
    public var balancedAccuracyAfter: Double?
    /// Classes whose predicted count changed, largest change first.
    public var classes: [ClassChange]
    /// The images whose prediction changed, least confident (under the new model) first: what the
    /// review key shows.
    public var changedImages: [Int64]
    /// Validated images the new model disagrees with.
    public var disagreeingImages: [Int64]
    /// The calibration chosen, the out-of-fold ECE's 95 % interval, a caution when it is not to be
    /// trusted yet, and why EM was accepted or refused for the shown probabilities (issue 15).
    public var calibration: String? = nil
    public var eceAfterLower: Double? = nil
    public var eceAfterUpper: Double? = nil
    public var calibrationCaution: String? = nil
    public var priorReason: String? = nil

    enum CodingKeys: String, CodingKey {
        case modelId = "model_id"
        case previousModelId = "previous_model_id"
        case createdAt = "created_at"
        case labelsUsed = "labels_used"
        case predictionsChanged = "predictions_changed"
        case imagesPredicted = "images_predicted"
        case disagreementsBefore = "validated_disagreeing_before"
        case disagreementsAfter = "validated_disagreeing_after"
        case eceBefore = "ece_before"
        case eceAfter = "ece_after"
        case balancedAccuracyBefore = "balanced_accuracy_before"
        case balancedAccuracyAfter = "balanced_accuracy_after"
        case classes = "class_changes"
        case changedImages = "changed_images"
        case disagreeingImages = "disagreeing_images"
        case calibration
        case eceAfterLower = "ece_after_lower"
        case eceAfterUpper = "ece_after_upper"
        case calibrationCaution = "calibration_caution"
        case priorReason = "prior_reason"
    }

    public static func file(project: String, modelId: String) -> String {
        ProjectLayout(directory: project).changeReport(model: modelId)
    }

    /// Compares the new model's predictions with the current model's (if any). `names` and `validated` are
    /// what the training run read (class names by id, validated class by image).
    static func make(
        store: ProjectStore, modelId: String, createdAt: Date, labelsUsed: Int,
        names: [Int64: String], validated: [ImageID: Int64], records: [PredictionRecord],
        metrics: TrainMetrics
    ) throws -> ModelChangeReport {
        let previous = try store.currentClassifier()
        let old = try previous.map { try store.predictions(model: $0.id) } ?? [:]
        let oldMetrics = previous.flatMap { try? $0.metrics.get() }
        var changed: [(Int64, Double)] = []
        var countsBefore: [Int64: Int] = [:], countsAfter: [Int64: Int] = [:]
        var disagreeing: [Int64] = []
        for record in records {
            if let label = validated[record.imageID] {
                if label != record.classID { disagreeing.append(record.imageID.rawValue) }
                continue
            }
            countsAfter[record.classID, default: 0] += 1
            if let before = old[record.imageID] {
                countsBefore[before.classID, default: 0] += 1
                if before.classID != record.classID { changed.append((record.imageID.rawValue, record.confidence)) }
            }
        }
        let disagreementsBefore =
            previous == nil
            ? nil
            : validated.filter { image, label in old[image].map { $0.classID != label } ?? false }.count
        let classes = Set(countsBefore.keys).union(countsAfter.keys)
            .map {
                ClassChange(
                    name: names[$0] ?? "class \($0)", before: countsBefore[$0] ?? 0, after: countsAfter[$0] ?? 0)
            }
            .filter { $0.before != $0.after }
            .sorted { (abs($0.after - $0.before), $1.name) > (abs($1.after - $1.before), $0.name) }
        let oldFigures = oldMetrics.flatMap { $0.outOfFoldAfter ?? $0.outOfFoldBefore }
        let newFigures = metrics.outOfFoldAfter ?? metrics.outOfFoldBefore
        return ModelChangeReport(
            modelId: modelId, previousModelId: previous?.id, createdAt: createdAt, labelsUsed: labelsUsed,
            predictionsChanged: changed.count, imagesPredicted: records.count,
            disagreementsBefore: disagreementsBefore, disagreementsAfter: disagreeing.count,
            eceBefore: oldFigures?.ece15, eceAfter: newFigures?.ece15,
            balancedAccuracyBefore: oldFigures?.balancedAccuracy, balancedAccuracyAfter: newFigures?.balancedAccuracy,
            classes: classes, changedImages: changed.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0),
            disagreeingImages: disagreeing.sorted(), calibration: metrics.calibration,
            eceAfterLower: metrics.calibrationQuality?.lower, eceAfterUpper: metrics.calibrationQuality?.upper,
            calibrationCaution: metrics.calibrationQuality?.caution, priorReason: metrics.priorReason)
    }

    /// The report of a model, if it has one.
    public static func load(project: String, modelId: String) throws -> ModelChangeReport? {
        let path = file(project: project, modelId: modelId)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(ModelChangeReport.self, from: data) } catch {
            throw ProjectError.malformedFile(path: path, reason: "not a model report: \(ErrorText.describe(error))")
        }
    }

    func write(project: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(
            to: URL(fileURLWithPath: Self.file(project: project, modelId: modelId)), options: .atomic)
    }

    /// One line for the status bar.
    public var summary: String {
        var parts = ["\(predictionsChanged) predictions changed"]
        if disagreementsAfter > 0 || disagreementsBefore != nil {
            parts.append(
                "\(disagreementsBefore.map { "\($0) → " } ?? "")\(disagreementsAfter) validated labels disagree")
        }
        if let after = eceAfter {
            parts.append("ECE \(eceBefore.map { String(format: "%.3f → ", $0) } ?? "")" + String(format: "%.3f", after))
        }
        return parts.joined(separator: " · ")
    }

    /// The text `plankterm report` prints.
    public var text: String {
        func num(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "–" }
        var lines = [
            "model \(modelId) (\(labelsUsed) labels)"
                + (previousModelId.map { ", replacing \($0)" } ?? ", the project's first"),
            "predictions changed          \(predictionsChanged) of \(imagesPredicted)",
            "validated labels disagreeing \(disagreementsBefore.map { "\($0) → " } ?? "")\(disagreementsAfter)",
            "balanced accuracy (oof)      \(num(balancedAccuracyBefore, "%.3f")) → \(num(balancedAccuracyAfter, "%.3f"))",
            "ECE (oof, 15 bins)           \(num(eceBefore, "%.3f")) → \(num(eceAfter, "%.3f"))"
                + (eceAfterLower.map { l in eceAfterUpper.map { String(format: " (95 %% %.3f–%.3f)", l, $0) } ?? "" }
                    ?? "")
        ]
        if let calibration { lines.append("calibration                  \(calibration)") }
        if let calibrationCaution { lines.append("caution                      \(calibrationCaution)") }
        if let priorReason { lines.append("prior correction             \(priorReason)") }
        if !classes.isEmpty {
            lines.append("predicted per class (unlabelled images), largest changes:")
            for c in classes.prefix(10) { lines.append("  \(c.name): \(c.before) → \(c.after)") }
        }
        return lines.joined(separator: "\n")
    }
}
