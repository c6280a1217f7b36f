import Foundation
import PlanktermCore

/// Uncertainty of one calibrated posterior (METHODS §6), computed under the balanced prior.
public struct Uncertainty: Sendable, Codable, Equatable {
    /// 1 − max p.
    public var leastConfidence: Double
    /// p₍₁₎ − p₍₂₎ (small = uncertain).
    public var margin: Double
    /// −Σ p log p, in nats.
    public var entropy: Double

    public init(_ p: some Collection<Double>) {
        var first = 0.0, second = 0.0, entropy = 0.0
        for v in p {
            if v > first { second = first; first = v } else if v > second { second = v }
            if v > 0 { entropy -= v * log(v) }
        }
        leastConfidence = 1 - first
        margin = first - second
        self.entropy = entropy
    }
}

/// Which images the expert should look at next, and why.
public enum QueryStrategy: String, Sendable, Codable, CaseIterable {
    case random
    case leastConfidence = "least-confidence"
    case margin
    case entropy
    /// The most uncertain (by margin) per cluster of the uncertain candidates' embeddings.
    case diverse
    /// Images whose labelled neighbours vote against the prediction.
    case disagree
}

/// One image the queue proposes, with the reason in words for the screen.
public struct QueueItem: Sendable, Equatable {
    public var row: Int
    public var score: Double
    public var reason: String
}

/// Chooses batches of unlabelled images to label (METHODS §6): uncertainty order, diversity by k-center
/// clustering among the uncertain, and a random fraction (default 10 %) so calibration and EM stay
/// unbiased.
public struct QueueBuilder: Sendable {
    public var strategy: QueryStrategy
    public var randomFraction: Double
    public var seed: UInt64

    public init(strategy: QueryStrategy, randomFraction: Double = 0.1, seed: UInt64 = 0) {
        self.strategy = strategy
        self.randomFraction = randomFraction
        self.seed = seed
    }

    /// Picks `count` of `candidates` (rows of `features`), whose calibrated posteriors (balanced prior)
    /// are the rows of `posteriors` (candidates.count × k). `classNames` words the reasons;
    /// `neighborVotes` (for `disagree`) gives each candidate's share of labelled-neighbour votes against
    /// its prediction and the class they favour.
    public func select(
        count: Int, candidates: [Int], posteriors: [Double], classes k: Int, features: Features?,
        classNames: [String], neighborVotes: [(against: Double, favoured: Int)]? = nil
    ) -> [QueueItem] {
        let n = candidates.count
        guard n > 0, count > 0 else { return [] }
        var rng = SeededGenerator(seed: seed ^ 0x5155_4555)
        let scored = ScoredCandidates(posteriors: posteriors, classes: k, count: n, classNames: classNames)
        if strategy == .random {
            var order = Array(0..<n)
            order.shuffle(using: &rng)
            return order.prefix(count).map {
                QueueItem(
                    row: candidates[$0], score: 0,
                    reason: "random pick (unbiased check); model says \(scored.describe($0))")
            }
        }
        let randomCount = strategy == .disagree ? 0 : min(count, Int((Double(count) * randomFraction).rounded()))
        let wanted = count - randomCount
        let picks: [Pick]
        switch strategy {
        case .leastConfidence, .margin, .entropy: picks = mostUncertain(scored, wanted: wanted)
        case .diverse:
            picks = features.map { Self.diverse(scored, wanted: wanted, features: $0, candidates: candidates) } ?? []
        case .disagree: picks = neighborVotes.map { Self.disagreeing(scored, wanted: wanted, votes: $0) } ?? []
        case .random: picks = []
        }
        var chosen = picks.map { QueueItem(row: candidates[$0.index], score: $0.score, reason: $0.reason) }
        let taken = Set(picks.map(\.index))
        // The random fraction, from what is left.
        var rest = (0..<n).filter { !taken.contains($0) }
        rest.shuffle(using: &rng)
        for i in rest.prefix(count - chosen.count) where chosen.count < count {
            chosen.append(
                QueueItem(
                    row: candidates[i], score: 0,
                    reason: "random pick (keeps calibration honest); model says \(scored.describe(i))"))
        }
        return chosen
    }

    /// A candidate chosen by a strategy: its position in the candidates, score and reason.
    private typealias Pick = (index: Int, score: Double, reason: String)

    /// The `wanted` candidates of highest `priority` under the (uncertainty) strategy, ties by position.
    private func mostUncertain(_ scored: ScoredCandidates, wanted: Int) -> [Pick] {
        let scores = scored.scores, strategy = strategy
        let order = scores.indices.sorted { a, b in
            let (x, y) = (Self.priority(scores[a], strategy), Self.priority(scores[b], strategy))
            return x != y ? x > y : a < b
        }
        return order.prefix(wanted).map { i in
            (
                i, Self.priority(scores[i], strategy),
                Self.reason(scores[i], strategy, scored.describe(i), second: scored.secondName(i))
            )
        }
    }

    /// Pool: the most uncertain by margin, several times the batch; k-center greedy clusters it; the most
    /// uncertain image of each cluster is taken.
    private static func diverse(
        _ scored: ScoredCandidates, wanted: Int, features: Features,
        candidates: [Int]
    ) -> [Pick] {
        let scores = scored.scores, n = scores.count
        let order = (0..<n).sorted {
            scores[$0].margin != scores[$1].margin ? scores[$0].margin < scores[$1].margin : $0 < $1
        }
        let pool = Array(order.prefix(min(n, max(wanted * 5, wanted))))
        guard wanted > 0 else { return [] }
        let centers = KCenter.greedy(features: features, rows: pool.map { candidates[$0] }, centers: wanted, first: 0)
        // The most uncertain member of each cluster.
        var bestOfCluster: [Int: Int] = [:]
        for (member, cluster) in centers.assignments.enumerated() {
            if let current = bestOfCluster[cluster], scores[pool[current]].margin <= scores[pool[member]].margin {
                continue
            }
            bestOfCluster[cluster] = member
        }
        let picks = bestOfCluster.values.sorted {
            scores[pool[$0]].margin != scores[pool[$1]].margin
                ? scores[pool[$0]].margin < scores[pool[$1]].margin : $0 < $1
        }
        return picks.map { c in
            let i = pool[c]
            return (
                i, 1 - scores[i].margin,
                "uncertain and unlike the others picked: \(scored.describe(i)), margin \(percent(scores[i].margin))"
            )
        }
    }

    /// The `wanted` candidates whose labelled neighbours vote most against the prediction (more than half
    /// of the votes), ties by position.
    private static func disagreeing(
        _ scored: ScoredCandidates, wanted: Int,
        votes: [(against: Double, favoured: Int)]
    ) -> [Pick] {
        let order = (0..<scored.scores.count).filter { votes[$0].against > 0.5 }
            .sorted { votes[$0].against != votes[$1].against ? votes[$0].against > votes[$1].against : $0 < $1 }
        return order.prefix(wanted).map { i in
            let name = scored.name(ofClass: votes[i].favoured)
            return (
                i, votes[i].against,
                "labelled neighbours say \(name) (\(percent(votes[i].against)) of votes), model says \(scored.describe(i))"
            )
        }
    }

    /// Larger = ask sooner.
    public static func priority(_ u: Uncertainty, _ strategy: QueryStrategy) -> Double {
        switch strategy {
        case .leastConfidence: u.leastConfidence
        case .margin, .diverse: 1 - u.margin
        case .entropy: u.entropy
        case .random, .disagree: 0
        }
    }

    /// The uncertainty is scored with every class equally likely (METHODS §6), which can rank classes
    /// differently from the shown, prior-corrected probabilities ("expected in this sample"): the reason
    /// says so in words a biologist reads at a glance, "rare-class view".
    static func reason(_ u: Uncertainty, _ strategy: QueryStrategy, _ described: String, second: String) -> String {
        switch strategy {
        case .leastConfidence: "least confident: \(described) (rare-class view)"
        case .margin: "close call: \(described) vs \(second) (rare-class view)"
        case .entropy:
            "spread-out guess: \(described), entropy \(String(format: "%.2f", u.entropy)) nats (rare-class view)"
        default: described
        }
    }

    static func percent(_ p: Double) -> String { "\(Int((p * 100).rounded())) %" }
}

/// Greedy k-center clustering (Gonzalez 1985) on cosine distance: each new center is the point farthest
/// from all centers so far; points belong to their nearest center.
public enum KCenter {
    public struct Result: Sendable {
        /// Positions in `rows` chosen as centers.
        public var centers: [Int]
        /// For each position in `rows`, the index (into `centers`) of its nearest center.
        public var assignments: [Int]
    }

    public static func greedy(features: Features, rows: [Int], centers wanted: Int, first: Int) -> Result {
        let n = rows.count, d = features.dimension
        guard n > 0 else { return Result(centers: [], assignments: []) }
        var distance = [Float](repeating: .infinity, count: n)
        var assignment = [Int](repeating: 0, count: n)
        var centers: [Int] = []
        var next = min(first, n - 1)
        while centers.count < min(wanted, n) {
            centers.append(next)
            let c = features.embeddings + rows[next] * d
            var farthest = 0, far: Float = -1
            for i in 0..<n {
                let x = features.embeddings + rows[i] * d
                var dot: Float = 0
                for j in 0..<d { dot += x[j] * c[j] }
                let dist = 1 - dot
                if dist < distance[i] { distance[i] = dist; assignment[i] = centers.count - 1 }
                if distance[i] > far { far = distance[i]; farthest = i }
            }
            if far <= 0 { break }
            next = farthest
        }
        return Result(centers: centers, assignments: assignment)
    }
}

/// The candidates of a queue with their uncertainties and predicted classes, and how a reason names them.
private struct ScoredCandidates {
    /// candidates × k, calibrated under the balanced prior.
    let posteriors: [Double]
    let k: Int
    let classNames: [String]
    let scores: [Uncertainty]
    /// The predicted class of each candidate.
    let top: [Int]

    init(posteriors: [Double], classes k: Int, count n: Int, classNames: [String]) {
        self.posteriors = posteriors
        self.k = k
        self.classNames = classNames
        scores = (0..<n).map { Uncertainty(posteriors[($0 * k)..<($0 * k + k)]) }
        top = Probabilities.argmax(posteriors, classes: k)
    }

    func name(ofClass c: Int) -> String { c < classNames.count ? classNames[c] : "class \(c)" }

    /// "name at p %": the candidate's predicted class and its probability.
    func describe(_ i: Int) -> String {
        let p = 1 - scores[i].leastConfidence
        return "\(name(ofClass: top[i])) at \(QueueBuilder.percent(p))"
    }

    /// "name p %" of the candidate's second most probable class; empty with one class.
    func secondName(_ i: Int) -> String {
        var best = -1, second = -1
        let row = (i * k)..<(i * k + k)
        for (j, v) in posteriors[row].enumerated() {
            if best < 0 || v > posteriors[i * k + best] {
                second = best; best = j
            } else if second < 0 || v > posteriors[i * k + second] {
                second = j
            }
        }
        guard second >= 0 else { return "" }
        return "\(name(ofClass: second)) \(QueueBuilder.percent(posteriors[i * k + second]))"
    }
}
