import Foundation
import Neighbors

/// The classifiers that sit on the embeddings, cheapest first: kNN vote, logistic regression, small MLP.
public enum HeadKind: String, Sendable, Codable, CaseIterable {
    case knn, linear, mlp
}

/// A fitted head: logits for any rows of the feature set it was fitted on.
public protocol ClassifierHead: Sendable {
    var classes: Int { get }
    /// Logits (rows.count × classes, row-major).
    func logits(_ features: Features, rows: [Int]) -> [Double]
}

/// How heads are fitted: hyper-parameters and the seed.
public struct HeadSettings: Sendable, Codable, Equatable {
    public var kind: HeadKind
    public var seed: UInt64
    /// kNN: neighbours and the similarity temperature of exp(sim / τ).
    public var neighbors = 20
    public var knnTemperature = 0.07
    /// Linear: inverse L2 strength, as scikit-learn's C.
    public var c = 1.0
    /// MLP: hidden width, learning rate, epochs cap and early-stopping patience.
    public var hidden = 512
    public var learningRate = 1e-3
    public var maxEpochs = 200
    public var patience = 15
    /// MLP: train exactly this many epochs on all labels, without a validation split (the refit after
    /// cross-validation uses the folds' median best epoch, so that its confidence matches theirs).
    public var fixedEpochs: Int?
    public var threads = 2

    public init(kind: HeadKind, seed: UInt64 = 0) {
        self.kind = kind
        self.seed = seed
    }

    /// Fits a head on `rows` of `features` with classes `labels` (0..<k), class-balanced.
    public func fit(_ features: Features, rows: [Int], labels: [Int], classes k: Int) -> any ClassifierHead {
        switch kind {
        case .knn:
            return KNNHead(
                features: features, rows: rows, labels: labels, classes: k, neighbors: neighbors,
                temperature: knnTemperature, threads: threads)
        case .linear:
            return LinearHead.fit(features, rows: rows, labels: labels, classes: k, c: c)
        case .mlp:
            return MLPHead.fit(features, rows: rows, labels: labels, classes: k, settings: self)
        }
    }
}

/// Weighted kNN vote: the k most cosine-similar labelled images vote for their class with
/// weight exp(sim / τ), each class's votes scaled by 1/n_k (balanced π_train). Logits are the log of
/// the vote shares (1e-12 for a class without votes); calibration adds a fitted floor to the shares
/// (`Calibration.floor`) so that such a class is unlikely, not impossible.
public struct KNNHead: ClassifierHead {
    public let classes: Int
    let trainEmbeddings: [Float]
    let trainLabels: [Int]
    let classScale: [Double]
    let neighbors: Int
    let temperature: Double
    let threads: Int
    let dimension: Int

    public init(
        features: Features, rows: [Int], labels: [Int], classes k: Int, neighbors: Int = 20,
        temperature: Double = 0.07, threads: Int = 2
    ) {
        classes = k
        trainEmbeddings = features.gather(rows)
        trainLabels = labels
        var counts = [Int](repeating: 0, count: k)
        for y in labels { counts[y] += 1 }
        classScale = counts.map { $0 > 0 ? 1 / Double($0) : 0 }
        self.neighbors = neighbors
        self.temperature = temperature
        self.threads = threads
        dimension = features.dimension
    }

    public func logits(_ features: Features, rows: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: rows.count * classes)
        let block = 4096
        var start = 0
        while start < rows.count {
            let part = Array(rows[start..<min(start + block, rows.count)])
            let queries = features.gather(part)
            let lists = queries.withUnsafeBufferPointer { q in
                trainEmbeddings.withUnsafeBufferPointer { b in
                    ExactSearch(threads: threads).search(
                        queries: q.baseAddress!, queryCount: part.count,
                        base: b.baseAddress!, baseCount: trainLabels.count,
                        dimension: dimension, k: min(neighbors, trainLabels.count))
                }
            }
            var votes = [Double](repeating: 0, count: classes)
            for i in 0..<part.count {
                for j in 0..<classes { votes[j] = 0 }
                for (index, similarity) in lists.neighbors(of: i) {
                    let y = trainLabels[index]
                    votes[y] += exp((Double(similarity) - 1) / temperature) * classScale[y]
                }
                let total = votes.reduce(0, +)
                for j in 0..<classes {
                    let share = total > 0 ? votes[j] / total : 1 / Double(classes)
                    out[(start + i) * classes + j] = log(max(share, 1e-12))
                }
            }
            start += part.count
        }
        return out
    }
}

/// Multinomial logistic regression on standardised embedding + log size, L2-regularised and fitted with
/// full-batch L-BFGS (deterministic), class-balanced.
public struct LinearHead: ClassifierHead, Codable {
    public var standardizer: Standardizer
    public var model: LogisticRegression
    public var classes: Int { model.classes }

    public static func fit(_ features: Features, rows: [Int], labels: [Int], classes k: Int, c: Double) -> LinearHead {
        var x = features.designMatrix(rows)
        let standardizer = Standardizer(fitting: x, features: features.dimension + 1)
        standardizer.apply(&x)
        let model = LogisticRegression.fit(
            x: x, features: features.dimension + 1, labels: labels, classes: k,
            sampleWeights: balancedWeights(labels: labels, classes: k), c: c)
        return LinearHead(standardizer: standardizer, model: model)
    }

    public func logits(_ features: Features, rows: [Int]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(rows.count * classes)
        var start = 0
        while start < rows.count {
            let part = Array(rows[start..<min(start + 8192, rows.count)])
            var x = features.designMatrix(part)
            standardizer.apply(&x)
            out += model.logits(x)
            start += part.count
        }
        return out
    }
}
