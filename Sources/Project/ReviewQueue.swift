import Foundation
import Learning
import Neighbors
import PlanktermCore
import Store

/// One image the review queue proposes.
public struct ReviewItem: Sendable, Codable, Equatable {
    public var imageId: Int64
    public var path: String
    public var predicted: String
    public var probability: Double
    public var reason: String
    public var score: Double

    enum CodingKeys: String, CodingKey {
        case imageId = "image_id"
        case path, predicted, probability, reason, score
    }
}

/// Builds the active-learning queue of a project from its current model: the images without an expert
/// label, scored on their calibrated posteriors under the balanced prior (under the corrected prior a
/// rare-class candidate would look confident and never be asked).
public enum ReviewQueue {
    public static func build(
        store: ProjectStore, strategy: QueryStrategy, count: Int, seed: UInt64 = 0,
        randomFraction: Double = 0.1
    ) throws -> [ReviewItem] {
        let (_, parameters, posteriors, predictions) = try ClassifierRun.current(store: store)
        let expert = Set(try store.currentLabels(statuses: [.validated, .dubious]).map(\.imageID))
        let embeddings = try ProjectEmbeddings.load(store: store)
        let k = parameters.classIds.count
        var candidates: [(image: ImageID, prediction: PredictionRecord, row: Int)] = []
        for (image, p) in predictions where !expert.contains(image) {
            guard let row = embeddings.rowOf[image], p.row >= 0, p.row < posteriors.rows else { continue }
            candidates.append((image, p, row))
        }
        candidates.sort { $0.image.rawValue < $1.image.rawValue }
        var matrix = [Double](repeating: 0, count: candidates.count * k)
        for (i, c) in candidates.enumerated() {
            let src = posteriors.row(c.prediction.row)
            for j in 0..<k { matrix[i * k + j] = Double(src[j]) }
        }
        var votes: [(against: Double, favoured: Int)]?
        if strategy == .disagree {
            votes = try neighborVotes(
                store: store, embeddings: embeddings, candidates: candidates.map(\.row),
                predicted: candidates.map { c in parameters.classIds.firstIndex(of: c.prediction.classID) ?? -1 },
                classIds: parameters.classIds)
        }
        let items = QueueBuilder(strategy: strategy, randomFraction: randomFraction, seed: seed)
            .select(
                count: count, candidates: Array(candidates.indices), posteriors: matrix, classes: k,
                features: strategy == .diverse ? SubsetFeatures.make(embeddings, rows: candidates.map(\.row)) : nil,
                classNames: parameters.classNames, neighborVotes: votes)
        let names = try store.classNames()
        return items.map { item in
            let c = candidates[item.row]
            return ReviewItem(
                imageId: c.image.rawValue, path: embeddings.images[c.image]?.path ?? "",
                predicted: names[c.prediction.classID] ?? "?", probability: c.prediction.confidence,
                reason: item.reason, score: item.score)
        }
    }

    /// For each candidate row: the share of its validated graph neighbours' votes (weight exp(sim/0.07))
    /// that go against its predicted class, and the class they favour; (0, −1) with fewer than 2 such
    /// neighbours.
    static func neighborVotes(
        store: ProjectStore, embeddings: ProjectEmbeddings, candidates: [Int], predicted: [Int],
        classIds: [Int64]
    ) throws -> [(against: Double, favoured: Int)] {
        let graph = try embeddings.updateGraph(project: store.directory)
        let validated = try store.validatedLabels()
        let index = Dictionary(uniqueKeysWithValues: classIds.enumerated().map { ($1, $0) })
        var labelOfRow: [Int: Int] = [:]
        for (image, classId) in validated {
            if let row = embeddings.rowOf[image], let j = index[classId] { labelOfRow[row] = j }
        }
        return candidates.enumerated().map { i, row in
            var tally: [Int: Double] = [:]
            var voters = 0
            for (neighbor, similarity) in graph.lists.neighbors(of: row) {
                guard let label = labelOfRow[neighbor] else { continue }
                tally[label, default: 0] += exp((Double(similarity) - 1) / 0.07)
                voters += 1
            }
            let total = tally.values.reduce(0, +)
            guard voters >= 2, total > 0, let best = tally.max(by: { $0.value < $1.value }) else { return (0, -1) }
            return (1 - (tally[predicted[i]] ?? 0) / total, best.key)
        }
    }
}

/// Features of a subset of embedding rows, gathered (the diversity clustering indexes candidates 0..<n).
enum SubsetFeatures {
    static func make(_ embeddings: ProjectEmbeddings, rows: [Int]) -> Features {
        let all = embeddings.features
        return Features(embeddings: all.gather(rows), dimension: all.dimension, logSize: rows.map { all.logSize[$0] })
    }
}
