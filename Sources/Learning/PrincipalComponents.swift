import Foundation
import Linalg
import NN

/// A linear map from an encoder's pooled features to fewer dimensions: the leading principal axes of a
/// sample of the project's own embeddings. `project` centres a row, takes its coordinates on the kept
/// axes (divided by each axis's standard deviation where the map is `whitened`) and scales the result to
/// unit length, so the stored rows stay what every reader expects (unit vectors compared by cosine).
public struct PrincipalComponents: Sendable, Equatable {
    /// The features' dimension (the encoder's) and the kept one.
    public var inputDimension: Int
    public var outputDimension: Int
    /// The sample mean, `inputDimension` values.
    public var mean: [Float]
    /// The kept axes as rows (`outputDimension` × `inputDimension`, row-major), by variance, largest first.
    public var axes: [Float]
    /// The variance along each kept axis, and the sample's total variance.
    public var variances: [Float]
    public var totalVariance: Float
    /// How many rows the axes were fitted on.
    public var sampleCount: Int
    /// Whether each coordinate is divided by its axis's standard deviation, so that every kept axis
    /// weighs the same in a cosine.
    public var whitened: Bool

    /// The share of the sample's variance the kept axes carry.
    public var varianceKept: Float { totalVariance > 0 ? min(1, variances.reduce(0, +) / totalVariance) : 0 }

    /// Fits the `keep` leading axes of `count` rows of `dimension` floats. Needs at least 2 rows and
    /// `keep` ≤ `dimension`; with fewer rows than `keep` the trailing axes carry no variance (and no
    /// information), which is allowed but wasteful.
    public static func fit(
        rows: UnsafePointer<Float>, count: Int, dimension: Int, keep: Int,
        whitened: Bool = false
    ) throws -> PrincipalComponents {
        precondition(count >= 2 && keep >= 1 && keep <= dimension)
        var mean = [Double](repeating: 0, count: dimension)
        for r in 0..<count {
            for k in 0..<dimension { mean[k] += Double(rows[r * dimension + k]) }
        }
        for k in 0..<dimension { mean[k] /= Double(count) }
        // Covariance in double precision: the centred rows, then CᵀC / (n − 1).
        var centred = [Double](repeating: 0, count: count * dimension)
        for r in 0..<count {
            for k in 0..<dimension { centred[r * dimension + k] = Double(rows[r * dimension + k]) - mean[k] }
        }
        var covariance = [Double](repeating: 0, count: dimension * dimension)
        centred.withUnsafeBufferPointer { c in
            Gemm.dgemm(
                m: dimension, n: dimension, k: count, a: c.baseAddress!, transA: true, b: c.baseAddress!,
                c: &covariance, alpha: 1 / Double(count - 1))
        }
        let total = (0..<dimension).reduce(0.0) { $0 + covariance[$1 * dimension + $1] }
        let (values, vectors) = try SymmetricEigen.decompose(covariance, n: dimension)
        return PrincipalComponents(
            inputDimension: dimension, outputDimension: keep, mean: mean.map { Float($0) },
            axes: vectors[0..<(keep * dimension)].map { Float($0) },
            variances: values[0..<keep].map { Float(max($0, 0)) }, totalVariance: Float(total),
            sampleCount: count, whitened: whitened)
    }

    /// `out` (count × outputDimension) = the unit-length projection of each of `count` input rows. A row
    /// whose projection is zero (no direction) is stored as the first axis, as the embedder stores a zero
    /// feature.
    public func project(_ input: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        let d = inputDimension, k = outputDimension
        var centred = [Float](repeating: 0, count: count * d)
        for r in 0..<count {
            for j in 0..<d { centred[r * d + j] = input[r * d + j] - mean[j] }
        }
        centred.withUnsafeBufferPointer { c in
            axes.withUnsafeBufferPointer { a in
                Gemm.sgemm(m: count, n: k, k: d, a: c.baseAddress!, b: a.baseAddress!, transB: true, c: out)
            }
        }
        // An axis without variance (fewer rows than axes) gets no weight rather than an infinite one.
        let axisScale = whitened ? variances.map { $0 > 1e-12 ? 1 / $0.squareRoot() : 0 } : []
        for r in 0..<count {
            let row = out + r * k
            if whitened {
                for j in 0..<k { row[j] *= axisScale[j] }
            }
            var norm: Float = 0
            for j in 0..<k { norm += row[j] * row[j] }
            if norm > 1e-24 && norm.isFinite {
                let unit = 1 / norm.squareRoot()
                for j in 0..<k { row[j] *= unit }
            } else {
                for j in 0..<k { row[j] = j == 0 ? 1 : 0 }
            }
        }
    }
}

extension PrincipalComponents {
    /// Writes the map as a safetensors file (`mean`, `axes`, `variances`; sizes in the metadata), atomically.
    public func write(to path: String) throws {
        try SafeTensors.write(
            [
                "mean": .init(shape: [inputDimension], values: mean),
                "axes": .init(shape: [outputDimension, inputDimension], values: axes),
                "variances": .init(shape: [outputDimension], values: variances)
            ],
            metadata: [
                "plankterm.pca.total_variance": String(totalVariance),
                "plankterm.pca.sample_count": String(sampleCount),
                "plankterm.pca.whitened": whitened ? "true" : "false"
            ], to: path)
    }

    /// Reads a map `write` wrote; a file that is not one is `SafeTensors.Error.malformed` naming it.
    public static func read(from path: String) throws -> PrincipalComponents {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        guard let mean = tensors["mean"], let axes = tensors["axes"], let variances = tensors["variances"],
            mean.shape.count == 1, axes.shape.count == 2, axes.shape[1] == mean.shape[0],
            variances.shape == [axes.shape[0]], axes.shape[0] >= 1,
            let total = metadata["plankterm.pca.total_variance"].flatMap(Float.init),
            let samples = metadata["plankterm.pca.sample_count"].flatMap(Int.init),
            (mean.values + axes.values).allSatisfy(\.isFinite)
        else {
            throw SafeTensors.Error.malformed(
                path: path, reason: "not a projection plankterm wrote (mean, axes, variances)")
        }
        return PrincipalComponents(
            inputDimension: mean.shape[0], outputDimension: axes.shape[0], mean: mean.values,
            axes: axes.values, variances: variances.values, totalVariance: total,
            sampleCount: samples, whitened: metadata["plankterm.pca.whitened"] == "true")
    }
}
