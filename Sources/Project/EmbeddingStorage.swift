import Foundation
import Learning
import NN
import Neighbors
import PlanktermCore
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// How `embed` stores an encoder's features. EfficientNet-Lite0 pools 1,280 of them: 5 GB of float32 for a
/// million images, read in full by every head, the graph and the queue. On the NDSB dev set
/// (`Benchmarks/storage.py`) the leading 512 principal axes of the project's own embeddings, whitened,
/// take 40 % of the bytes, raise kNN balanced accuracy by 0.05 (every axis weighs the same in the cosine,
/// not only the few widest) and cost a logistic probe 0.01; a project large enough to fit them on is
/// stored that way unless told otherwise.
public enum EmbeddingStorage: Sendable, Equatable, CustomStringConvertible {
    /// Whatever the project stores already (so a project embedded in full stays in full until
    /// `--dimensions` says otherwise); a new store of at least `reduceFrom` images gets `reducedDimension`
    /// principal axes, a smaller one the full features.
    case automatic
    /// The encoder's features as they are.
    case full
    /// The leading n principal axes (n below the encoder's dimension).
    case dimensions(Int)

    public static let reducedDimension = 512
    /// Whether the stored axes are whitened (each divided by its standard deviation).
    public static let whitened = true
    /// Fewest images to fit the axes on: below it the fit is noisy and storage is no concern anyway.
    public static let reduceFrom = 2_048
    /// The axes are fitted on a random sample of at most this many embeddings (about 40 MB of 1,280-d rows).
    public static let sampleSize = 8_192

    /// Parses `auto`, `full` or a dimension count.
    public init?(argument: String) {
        switch argument {
        case "auto", "automatic": self = .automatic
        case "full": self = .full
        default:
            guard let n = Int(argument), n >= 1 else { return nil }
            self = .dimensions(n)
        }
    }

    public var description: String {
        switch self {
        case .automatic: "auto"
        case .full: "full"
        case .dimensions(let n): String(n)
        }
    }

    /// The dimension to store for an encoder of `encoderDimension` features (nil: the features as they
    /// are), given what is stored now (`stored`: nil when nothing is, `.some(nil)` for full features) and
    /// how many images the project has.
    func target(encoderDimension: Int, stored: Int??, images: Int) -> Int? {
        switch self {
        case .full: return nil
        case .dimensions(let n): return n < encoderDimension && images >= 2 ? n : nil
        case .automatic:
            if let stored { return stored }
            let n = Self.reducedDimension
            return encoderDimension > n && images >= Self.reduceFrom ? n : nil
        }
    }
}

/// `embeddings/<model>.json`: what the rows of `embeddings/<model>.f32` are. Files written before
/// projections existed have only the first five fields and read as full features.
public struct EmbeddingsInfo: Codable, Sendable, Equatable {
    public var modelId: String
    /// Floats a row.
    public var dimension: Int
    public var dtype = "float32"
    public var normalised = "L2"
    public var rows = "see table embeddingRow"
    /// Where the rows are a projection of the encoder's features: the encoder's dimension, the projection's
    /// file (beside this one), the share of variance kept and how many images the axes were fitted on.
    public var encoderDimension: Int?
    public var projection: String?
    public var varianceKept: Float?
    public var fittedOn: Int?
    /// Rows made up for benchmarks (`SyntheticEmbeddings`), not computed by a network.
    public var synthetic: Bool?

    /// `projection`: the map the rows were made with; its file is `projectionFile`.
    public init(modelId: String, dimension: Int, projection: PrincipalComponents? = nil, synthetic: Bool? = nil) {
        self.modelId = modelId
        self.dimension = dimension
        self.synthetic = synthetic
        if let projection {
            encoderDimension = projection.inputDimension
            self.projection = Self.projectionName(modelId: modelId)
            varianceKept = (projection.varianceKept * 10_000).rounded() / 10_000
            fittedOn = projection.sampleCount
        }
    }

    /// Reads what is there: only `dimension` is required (files of tests and of early versions have little else).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelId = try c.decodeIfPresent(String.self, forKey: .modelId) ?? ""
        dimension = try c.decode(Int.self, forKey: .dimension)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype) ?? "float32"
        normalised = try c.decodeIfPresent(String.self, forKey: .normalised) ?? "L2"
        rows = try c.decodeIfPresent(String.self, forKey: .rows) ?? "see table embeddingRow"
        encoderDimension = try c.decodeIfPresent(Int.self, forKey: .encoderDimension)
        projection = try c.decodeIfPresent(String.self, forKey: .projection)
        varianceKept = try c.decodeIfPresent(Float.self, forKey: .varianceKept)
        fittedOn = try c.decodeIfPresent(Int.self, forKey: .fittedOn)
        synthetic = try c.decodeIfPresent(Bool.self, forKey: .synthetic)
    }

    public static func file(project: String, modelId: String) -> String {
        ProjectLayout(directory: project).embeddingsInfo(encoder: modelId)
    }
    public static func projectionName(modelId: String) -> String { ProjectLayout.projectionName(encoder: modelId) }
    public static func projectionFile(project: String, modelId: String) -> String {
        ProjectLayout(directory: project).projection(named: projectionName(modelId: modelId))
    }

    /// The record of `modelId`, or `ProjectError.damaged` naming the file.
    public static func read(project: String, modelId: String) throws(ProjectError) -> EmbeddingsInfo {
        let path = file(project: project, modelId: modelId)
        let remedy = "run 'plankterm embed \(project)': it writes the file again"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .damaged(path: path, reason: "missing or unreadable", remedy: remedy)
        }
        do {
            let info = try JSONDecoder().decode(EmbeddingsInfo.self, from: data)
            guard info.dimension > 0 else {
                throw ProjectError.damaged(path: path, reason: "dimension \(info.dimension)", remedy: remedy)
            }
            return info
        } catch let error as ProjectError {
            throw error
        } catch {
            throw .damaged(
                path: path, reason: "not an embeddings record (\(ErrorText.describe(error)))", remedy: remedy)
        }
    }

    /// Writes the record atomically.
    public func write(project: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(
            to: URL(fileURLWithPath: Self.file(project: project, modelId: modelId)), options: .atomic)
    }

    /// The projection the rows were made with (nil for full features), checked against the encoder's
    /// dimension and the rows'; a missing or foreign projection is `ProjectError.damaged`.
    public func projection(project: String, encoderDimension full: Int) throws(ProjectError) -> PrincipalComponents? {
        guard let name = projection else {
            guard dimension == full else {
                throw .damaged(
                    path: Self.file(project: project, modelId: modelId),
                    reason: "rows of \(dimension) floats without a projection, from an encoder of \(full)",
                    remedy: "run 'plankterm embed \(project)': it embeds every image again")
            }
            return nil
        }
        let path = ProjectLayout(directory: project).projection(named: name)
        let remedy = "run 'plankterm embed \(project)': it embeds every image again"
        let map: PrincipalComponents
        do {
            map = try PrincipalComponents.read(from: path)
        } catch {
            let reason =
                if case SafeTensors.Error.malformed(_, let why)? = error as? SafeTensors.Error {
                    "not a valid projection file: \(why)"
                } else {
                    ErrorText.describe(error)
                }
            throw .damaged(path: path, reason: reason, remedy: remedy)
        }
        guard map.inputDimension == full, map.outputDimension == dimension else {
            throw .damaged(
                path: path,
                reason: "maps \(map.inputDimension) to \(map.outputDimension) dimensions, "
                    + "\(full) to \(dimension) expected", remedy: remedy)
        }
        return map
    }
}

extension PrincipalComponents {
    /// Fits `keep` axes on a seeded random sample (at most `EmbeddingStorage.sampleSize`) of `count`
    /// rows that `row(i)` copies into the buffer it is given.
    static func fit(
        count: Int, dimension: Int, keep: Int, seed: UInt64 = 0,
        row: (Int, UnsafeMutablePointer<Float>) -> Void
    ) throws -> PrincipalComponents {
        var picked = Array(0..<count)
        var rng = SeededGenerator(seed: seed)
        picked.shuffle(using: &rng)
        picked = Array(picked.prefix(EmbeddingStorage.sampleSize)).sorted()
        var sample = [Float](repeating: 0, count: picked.count * dimension)
        sample.withUnsafeMutableBufferPointer { b in
            for (i, r) in picked.enumerated() { row(r, b.baseAddress! + i * dimension) }
        }
        return try sample.withUnsafeBufferPointer { b in
            try fit(
                rows: b.baseAddress!, count: picked.count, dimension: dimension, keep: keep,
                whitened: EmbeddingStorage.whitened)
        }
    }

    /// Writes the map and syncs it to disk, so that rows made with it never outlive it.
    func writeDurably(to path: String) throws {
        try write(to: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno()) }
    }
}

extension Embedder {
    /// Replaces the full features stored for `modelId` by their projection onto `keep` principal axes
    /// fitted on them: no image goes through the encoder again. The projected rows go to a new file that
    /// replaces the old one only once it is complete and synced; the record is written last. Row numbers
    /// stay, so the database is untouched.
    func compact(modelId: String, dimension full: Int, rows: [ImageID: Int], keep: Int) throws -> PrincipalComponents {
        let project = store.directory
        let path = Self.file(project: project, modelId: modelId)
        let count = (rows.values.max() ?? -1) + 1
        let matrix = try MappedMatrix(path: path, columns: full, rows: count)
        let used = rows.values.sorted()
        let map = try PrincipalComponents.fit(count: used.count, dimension: full, keep: keep) { i, into in
            into.update(from: matrix.row(used[i]).baseAddress!, count: full)
        }
        try map.writeDurably(to: EmbeddingsInfo.projectionFile(project: project, modelId: modelId))
        let temporary = path + ".tmp"
        let fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProjectError.writeFailed(path: temporary, reason: ErrorText.lastErrno()) }
        defer { close(fd) }
        let chunk = 4_096
        var out = [Float](repeating: 0, count: chunk * keep)
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            out.withUnsafeMutableBufferPointer {
                map.project(matrix.pointer + start * full, count: n, into: $0.baseAddress!)
            }
            let bytes = n * keep * 4
            let written = out.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes, off_t(start * keep * 4)) }
            guard written == bytes else {
                unlink(temporary)
                throw ProjectError.writeFailed(
                    path: temporary,
                    reason: written < 0
                        ? ErrorText.lastErrno()
                        : "short write (\(written) of \(bytes) bytes; disk full?)")
            }
            start += n
        }
        guard fsync(fd) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno())
        }
        try EmbeddingsInfo(modelId: modelId, dimension: keep, projection: map).write(project: project)
        // The graph's neighbours were found among the full features; they are found again among the stored ones.
        unlink(ProjectEmbeddings.graphFile(project: project, encoderId: modelId))
        return map
    }
}
