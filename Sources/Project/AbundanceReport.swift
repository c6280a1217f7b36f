import Foundation
import Learning
import PlanktermCore
import Store

/// Per-group abundance estimates of the current classifier (`plankterm abundance`).
public struct AbundanceReport: Sendable, Codable {
    public struct Group: Sendable, Codable {
        public var name: String
        public var images: Int
        /// Why EM was not run, if it was not (too few images).
        public var refused: String?
        public var classes: [ClassRow]
    }

    public struct ClassRow: Sendable, Codable {
        public var name: String
        public var validated: Int
        public var classifyAndCount: Double
        public var expected: Double
        public var corrected: Double?
        public var lower: Double?
        public var upper: Double?
        /// Adjusted classify-and-count (out-of-fold confusion) and its 95 % interval.
        public var adjusted: Double?
        public var adjustedLower: Double?
        public var adjustedUpper: Double?

        enum CodingKeys: String, CodingKey {
            case name, validated
            case classifyAndCount = "classify_and_count"
            case expected, corrected, lower, upper
            case adjusted
            case adjustedLower = "adjusted_lower"
            case adjustedUpper = "adjusted_upper"
        }
    }

    public var modelId: String
    public var groupedBy: String
    public var groups: [Group]

    enum CodingKeys: String, CodingKey {
        case modelId = "model_id"
        case groupedBy = "grouped_by"
        case groups
    }

    /// Groups the predicted images by `by` ("folder": the image's folder; anything else: an imported
    /// metadata column, images without it in group "(none)") and estimates each group's class counts.
    public static func build(
        store: ProjectStore, by: String, minimum: Int = PredictionSet.minimumForEM,
        bootstrap: Int = AbundanceWorkflow.defaultBootstrap, seed: UInt64 = AbundanceWorkflow.defaultSeed
    ) throws -> AbundanceReport {
        let (record, parameters, posteriors, predictions) = try ClassifierRun.current(store: store)
        let images = Dictionary(uniqueKeysWithValues: try store.usableImageSummaries().map { ($0.id, $0) })
        let validated = try store.validatedLabels()
        var groupOf: [ImageID: String] = [:]
        if by == "folder" {
            for (id, image) in images {
                let folder = (image.path as NSString).deletingLastPathComponent
                groupOf[id] = folder.isEmpty ? "." : folder
            }
        } else {
            let values = try store.field(by)
            guard !values.isEmpty else {
                let known = try store.fieldNames()
                throw ProjectError.invalidOption(
                    "no image has a metadata column '\(by)'"
                        + (known.isEmpty ? " (none were imported)" : " (known: \(known.joined(separator: ", ")))"))
            }
            for id in images.keys { groupOf[id] = values[id] ?? "(none)" }
        }
        let k = parameters.classIds.count
        let outOfFold = try ClassifierRun.outOfFold(project: store.directory, parameters: parameters)
        let classIndex = Dictionary(uniqueKeysWithValues: parameters.classIds.enumerated().map { ($1, $0) })
        var members: [String: [ImageID]] = [:]
        for (id, _) in predictions { if let g = groupOf[id] { members[g, default: []].append(id) } }
        var groups: [Group] = []
        for (name, ids) in members.sorted(by: { $0.key < $1.key }) {
            var p = [Double](), validatedCounts = [Int](repeating: 0, count: k)
            p.reserveCapacity(ids.count * k)
            for id in ids.sorted(by: { $0.rawValue < $1.rawValue }) {
                let row = posteriors.row(predictions[id]!.row)
                p += row.map(Double.init)
                if let c = validated[id], let j = classIndex[c] { validatedCounts[j] += 1 }
            }
            let enough = ids.count >= minimum
            let estimate = AbundanceEstimate(
                posteriors: p, classes: k, trainPrior: parameters.trainPrior,
                bootstrap: enough ? bootstrap : 0, seed: seed, outOfFold: outOfFold)
            let rows = (0..<k).map { j in
                ClassRow(
                    name: parameters.classNames[j], validated: validatedCounts[j],
                    classifyAndCount: estimate.classifyAndCount[j], expected: estimate.expectedCounts[j],
                    corrected: enough ? estimate.corrected[j] : nil, lower: enough ? estimate.correctedLower[j] : nil,
                    upper: enough ? estimate.correctedUpper[j] : nil,
                    adjusted: estimate.adjusted?[j], adjustedLower: enough ? estimate.adjustedLower?[j] : nil,
                    adjustedUpper: enough ? estimate.adjustedUpper?[j] : nil)
            }
            groups.append(
                Group(
                    name: name, images: ids.count,
                    refused: enough ? nil : "\(ids.count) images: EM needs at least \(minimum)",
                    classes: rows))
        }
        return AbundanceReport(modelId: record.id, groupedBy: by, groups: groups)
    }
}
