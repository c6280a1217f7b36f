import Foundation
import Learning
import Neighbors
import PlanktermCore
import Store

/// Ground truth for evaluation and simulation: a label file (CSV or EcoTaxa TSV, as for import) or a
/// folder with one sub-folder per class, matched to the project's images as import matches them.
public enum TruthLabels {
    /// image → class name; `unmatched` counts entries that name no image of the project.
    public static func read(_ path: String, store: ProjectStore, imagesRoot: String) throws -> (
        labels: [ImageID: String], unmatched: Int
    ) {
        let known = try store.imageIDs()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProjectError.labelFileUnreadable(path: path, reason: "no such file or folder")
        }
        var entries: [(path: String, className: String)] = []
        var resolverAnchor = path
        if isDirectory.boolValue {
            resolverAnchor = path + "/truth"
            let classes = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            for name in classes {
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &sub), sub.boolValue else {
                    continue
                }
                for file in try FileManager.default.contentsOfDirectory(atPath: path + "/" + name).sorted() {
                    entries.append((name + "/" + file, name))
                }
            }
        } else {
            let file = try LabelFile.read(path: path)
            entries = file.records.compactMap { r in r.className.map { (r.path, $0) } }
        }
        let resolver = PathResolver(root: imagesRoot, labelFile: resolverAnchor, known: Set(known.keys))
        var labels: [ImageID: String] = [:]
        var unmatched = 0
        for entry in entries {
            if let p = resolver.resolve(entry.path), let id = known[p] {
                labels[id] = entry.className
            } else {
                unmatched += 1
            }
        }
        return (labels, unmatched)
    }
}

/// Metrics of the current classifier against ground truth (`plankterm eval`). The decisions scored are
/// the model's call (the balanced decision argmax q, "rare-class view": what it stores, exports and
/// reviews by class); the probabilities scored are the shown ones, corrected to the sample.
public struct EvaluationReport: Sendable, Codable {
    public var modelId: String
    public var n: Int
    /// Accuracy, balanced accuracy, macro-F1 and confusion of the call.
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var macroF1: Double
    /// confusion[true][called], over `classes` (the model's classes, then truth classes it does not know).
    public var confusion: [[Int]]
    public var classes: [String]
    /// The same of the sample call, argmax of the shown probabilities (the most probable class in this
    /// sample): it maximises accuracy, the call balanced accuracy.
    public var sampleCall: SampleCall
    public var nll: Double
    public var brier: Double
    public var ece: Double
    public var ece20: Double
    public var classwiseECE: Double
    /// The same metrics of the posteriors before the prior correction (balanced π_train).
    public var beforePriorCorrection: ClassificationMetrics
    public var reliability: [ReliabilityBin]
    /// Truth entries not matching any image; truth images without a prediction; truth classes the model
    /// does not know (their images count as errors).
    public var unmatched: Int
    public var unpredicted: Int
    public var unknownClasses: [String]
    public var includesLabelled: Bool

    enum CodingKeys: String, CodingKey {
        case modelId = "model_id"
        case n, accuracy
        case balancedAccuracy = "balanced_accuracy"
        case macroF1 = "macro_f1"
        case nll, brier
        case confusion, classes
        case sampleCall = "sample_call"
        case ece
        case ece20 = "ece_20"
        case classwiseECE = "classwise_ece"
        case beforePriorCorrection = "before_prior_correction"
        case reliability, unmatched, unpredicted
        case unknownClasses = "unknown_classes"
        case includesLabelled = "includes_labelled"
    }

    public struct SampleCall: Sendable, Codable, Equatable {
        public var accuracy: Double
        public var balancedAccuracy: Double
        public var macroF1: Double

        enum CodingKeys: String, CodingKey {
            case accuracy
            case balancedAccuracy = "balanced_accuracy"
            case macroF1 = "macro_f1"
        }
    }
}

public struct Evaluation: Sendable {
    public var store: ProjectStore

    public init(store: ProjectStore) { self.store = store }

    /// Evaluates the current model on the images of `truth`; images with a validated label in the project
    /// (the training labels) are left out unless `includeLabelled`.
    public func run(truth: [ImageID: String], unmatched: Int, includeLabelled: Bool = false) throws -> EvaluationReport
    {
        let (record, parameters, posteriors, predictions) = try ClassifierRun.current(store: store)
        let validated = includeLabelled ? [:] : try store.validatedLabels()
        var classNames = parameters.classNames
        var classIndex = Dictionary(classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var unknown: [String] = []
        var rows: [Int] = [], truthIndex: [Int] = []
        var unpredicted = 0
        for (image, name) in truth.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where validated[image] == nil {
            guard let p = predictions[image], p.row >= 0, p.row < posteriors.rows else { unpredicted += 1; continue }
            if classIndex[name] == nil {
                classIndex[name] = classNames.count
                classNames.append(name)
                unknown.append(name)
            }
            rows.append(p.row)
            truthIndex.append(classIndex[name]!)
        }
        let k = parameters.classIds.count, kk = classNames.count
        var balanced = [Double](repeating: 0, count: rows.count * kk)
        for (i, r) in rows.enumerated() {
            let src = posteriors.row(r)
            for j in 0..<k { balanced[i * kk + j] = Double(src[j]) }
        }
        let extend = { (v: [Double]) in v + [Double](repeating: 0, count: kk - k) }
        let corrected = parameters.shown(
            balanced, classes: kk, train: extend(parameters.trainPrior),
            target: extend(parameters.targetPrior))
        // The call, as `train` stores it (classes the model does not know have π_train 0: never called).
        let calls = Probabilities.balancedCalls(balanced, classes: kk, train: extend(parameters.trainPrior))
        let after = ClassificationMetrics(probabilities: corrected, classes: kk, truth: truthIndex, calls: calls)
        let sample = ClassificationMetrics(probabilities: corrected, classes: kk, truth: truthIndex)
        let before = ClassificationMetrics(probabilities: balanced, classes: kk, truth: truthIndex)
        return EvaluationReport(
            modelId: record.id, n: after.n, accuracy: after.accuracy,
            balancedAccuracy: after.balancedAccuracy, macroF1: after.macroF1,
            confusion: after.confusion, classes: classNames,
            sampleCall: .init(
                accuracy: sample.accuracy, balancedAccuracy: sample.balancedAccuracy,
                macroF1: sample.macroF1),
            nll: after.nll,
            brier: after.brier, ece: after.ece15, ece20: after.ece20,
            classwiseECE: after.classwiseECE, beforePriorCorrection: before,
            reliability: after.reliability, unmatched: unmatched, unpredicted: unpredicted,
            unknownClasses: unknown, includesLabelled: includeLabelled)
    }
}
