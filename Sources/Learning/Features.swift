import Foundation

/// What the heads learn from: one L2-normalised embedding per image (count × dimension float32,
/// row-major; usually a memory-mapped embeddings file kept alive by `owner`) and its log size feature.
public struct Features: @unchecked Sendable {
    public let count: Int
    public let dimension: Int
    public let embeddings: UnsafePointer<Float>
    /// log(width · height) of the original image: the preprocessing resizes every image to one side, so
    /// the embedding alone does not know how big the organism was.
    public let logSize: [Float]
    private let owner: AnyObject?

    public init(count: Int, dimension: Int, embeddings: UnsafePointer<Float>, logSize: [Float], owner: AnyObject?) {
        precondition(logSize.count == count)
        self.count = count
        self.dimension = dimension
        self.embeddings = embeddings
        self.logSize = logSize
        self.owner = owner
    }

    /// Features from arrays (tests, small problems).
    public init(embeddings values: [Float], dimension: Int, logSize: [Float]? = nil) {
        let box = FloatStorage(values)
        let count = values.count / dimension
        self.init(
            count: count, dimension: dimension, embeddings: UnsafePointer(box.pointer),
            logSize: logSize ?? [Float](repeating: 0, count: count), owner: box)
    }

    /// The embeddings of `rows`, gathered into one contiguous array.
    public func gather(_ rows: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * dimension)
        out.withUnsafeMutableBufferPointer { o in
            for (i, r) in rows.enumerated() {
                (o.baseAddress! + i * dimension).update(from: embeddings + r * dimension, count: dimension)
            }
        }
        return out
    }

    /// Embedding plus log size of `rows` in double precision: the linear and MLP heads' input
    /// (rows × (dimension + 1)).
    public func designMatrix(_ rows: [Int]) -> [Double] {
        let width = dimension + 1
        var out = [Double](repeating: 0, count: rows.count * width)
        for (i, r) in rows.enumerated() {
            let src = embeddings + r * dimension
            for j in 0..<dimension { out[i * width + j] = Double(src[j]) }
            out[i * width + dimension] = Double(logSize[r])
        }
        return out
    }
}

final class FloatStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ values: [Float]) {
        pointer = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: values.count) }
    }
    deinit { pointer.deallocate() }
}

/// Class-balanced sample weights w_i = n / (K · n_{y_i}) over the K classes present (scikit-learn's
/// `class_weight="balanced"`): every class weighs the same in the loss, so π_train is uniform.
public func balancedWeights(labels: [Int], classes k: Int) -> [Double] {
    var counts = [Int](repeating: 0, count: k)
    for y in labels { counts[y] += 1 }
    let present = Double(counts.filter { $0 > 0 }.count)
    return labels.map { Double(labels.count) / (present * Double(counts[$0])) }
}
