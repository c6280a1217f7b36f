import Foundation
import Learning
import NN
import PlanktermCore
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// What `embed` did.
public struct EmbedResult: Sendable {
    /// Why the embeddings file was rebuilt from nothing (it was missing or damaged), if it was.
    public var rebuilt: String? = nil
    /// Why every image was embedded again to store another dimension (`embed --dimensions`), if it was.
    public var restored: String? = nil
    /// Whether full features already stored were projected onto principal axes in this run.
    public var compacted = false
    public var modelId: String
    /// Floats a stored row, and the encoder's own feature count (larger where rows are a projection).
    public var dimension: Int
    public var encoderDimension: Int
    /// The share of variance the stored axes keep, where rows are a projection.
    public var varianceKept: Float?
    public var added: Int
    public var total: Int
    public var file: String
}

/// Computes L2-normalised embeddings of every usable image with an encoder (eval mode) into
/// `embeddings/<modelId>.f32`: float32 rows, which other parts memory-map, of the encoder's dimension or
/// of the project's leading principal axes (`EmbeddingStorage`; `embeddings/<modelId>.json` says which).
/// The database maps images to rows (`embeddingRow`); a second run embeds only new images.
///
/// Rows are appended and synced to disk before the database records them, so an interrupted run
/// leaves at most unrecorded rows at the end of the file, which the next run cuts off.
public struct Embedder {
    public var store: ProjectStore
    public var clock: any Clock

    /// Images per forward pass unless told otherwise (`plankterm embed --batch`).
    public static let defaultBatch = 256

    public init(store: ProjectStore, clock: any Clock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// The embeddings file of `modelId` in the project.
    public static func file(project: String, modelId: String) -> String {
        ProjectLayout(directory: project).embeddings(encoder: modelId)
    }

    /// Embeds every usable image that has no row yet, stored as `storage` says (see `EmbeddingStorage`):
    /// a project that should be stored at another dimension than it is gets its rows projected (full
    /// features to principal axes, no encoder pass) or, the other way, every image embedded again. The
    /// encoder runs on `lanes` lanes (`EncoderWorkspace`): the caller's thread count.
    public func run(
        weights: String, imagesRoot: String, batch: Int = defaultBatch, storage: EmbeddingStorage = .automatic,
        lanes: Int = 1, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> EmbedResult {
        let (encoder, metadata) = try Encoder.load(from: weights)
        let modelId = try Pretrainer.modelId(ofWeightsAt: weights)
        let parameters = EncoderParameters(
            weights: weights, trainer: metadata["plankterm.trainer"] ?? "unknown",
            dimension: encoder.config.embeddingDimension, side: encoder.config.side,
            orientations: encoder.config.orientations)
        try EncoderCatalogue(store: store).register(id: modelId, parameters: parameters, createdAt: clock.now())
        let project = store.directory, full = encoder.config.embeddingDimension
        let images = try store.usableImages()
        try FileManager.default.createDirectory(
            atPath: ProjectLayout(directory: project).embeddingsFolder, withIntermediateDirectories: true)
        var state = try storedState(modelId: modelId, encoderDimension: full)
        // A store rebuilt after damage keeps the dimension it had.
        let stored: Int??
        if !state.rows.isEmpty {
            stored = .some(state.projection?.outputDimension)
        } else if let previous = state.rebuiltDimension {
            stored = .some(previous < full ? previous : nil)
        } else {
            stored = .none
        }
        let wanted = storage.target(encoderDimension: full, stored: stored, images: images.count)
        var compacted = false
        if !state.rows.isEmpty, wanted != state.projection?.outputDimension {
            if state.projection == nil, let keep = wanted, state.rows.count >= 2 {
                state.projection = try compact(modelId: modelId, dimension: full, rows: state.rows, keep: keep)
                compacted = true
            } else {
                state.restored =
                    "stored at \(state.projection?.outputDimension ?? full) dimensions, "
                    + (wanted.map { "\($0) asked" } ?? "the encoder's full \(full) asked")
                try forget(modelId: modelId)
                state.rows = [:]
                state.projection = nil
            }
        }
        let d = wanted ?? full
        let todo = images.filter { state.rows[$0.id] == nil }
        var writer = try RowWriter(
            store: store, modelId: modelId, dimension: d, projection: state.projection,
            nextRow: (state.rows.values.max() ?? -1) + 1)
        if wanted == nil || state.projection != nil { try writer.writeInfo() }
        var result = EmbedResult(
            rebuilt: state.rebuilt, restored: state.restored, compacted: compacted, modelId: modelId,
            dimension: d, encoderDimension: full, varianceKept: state.projection?.varianceKept,
            added: todo.count, total: state.rows.count + todo.count, file: writer.path)
        guard !todo.isEmpty else { return result }
        let cache = try PixelCache(directory: project, side: encoder.config.side, images: todo, imagesRoot: imagesRoot)
        let workspace = EncoderWorkspace(
            encoder: encoder, batch: EncoderWorkspace.batch(for: encoder, limit: min(batch, todo.count)),
            lanes: lanes)
        var passes = Passes(cache: cache, workspace: workspace, todo: todo)
        if writer.projection == nil, let keep = wanted {
            // A new reduced store: the axes are fitted on a sample, embedded first and written once they exist.
            let sample = min(EmbeddingStorage.sampleSize, todo.count)
            passes.order(sampleFirst: sample)
            let features = passes.features(count: sample, progress: progress)
            let map = try features.withUnsafeBufferPointer {
                try PrincipalComponents.fit(
                    rows: $0.baseAddress!, count: sample, dimension: full, keep: keep,
                    whitened: EmbeddingStorage.whitened)
            }
            try map.writeDurably(to: EmbeddingsInfo.projectionFile(project: project, modelId: modelId))
            writer.projection = map
            try writer.writeInfo()
            result.varianceKept = map.varianceKept
            for start in stride(from: 0, to: sample, by: workspace.batch) {
                let n = min(workspace.batch, sample - start)
                try features.withUnsafeBufferPointer {
                    try writer.append($0.baseAddress! + start * full, ids: passes.ids(start..<start + n))
                }
            }
        }
        while passes.done < todo.count {
            let start = passes.done
            let out = passes.next()
            progress(passes.done, todo.count)
            try out.withUnsafeBufferPointer { try writer.append($0.baseAddress!, ids: passes.ids(start..<passes.done)) }
        }
        return result
    }

    /// What is stored for `modelId` and can be kept: its rows and projection, checked; a damaged store is
    /// forgotten (rows, file, graph) with the reason in `rebuilt`.
    private func storedState(modelId: String, encoderDimension full: Int) throws -> StoredState {
        var state = StoredState(rows: try store.embeddingRows(modelId: modelId))
        guard !state.rows.isEmpty else { return state }
        var dimension: Int?
        do {
            let info = try EmbeddingsInfo.read(project: store.directory, modelId: modelId)
            dimension = info.dimension
            state.projection = try info.projection(project: store.directory, encoderDimension: full)
            _ = try ProjectEmbeddings.verified(
                project: store.directory, encoderId: modelId, dimension: info.dimension,
                rows: state.rows)
        } catch {
            if case .damaged(_, let reason, _) = error {
                state.rebuilt = reason
            } else {
                state.rebuilt = error.description
            }
            try forget(modelId: modelId)
            state = StoredState(rows: [:], rebuilt: state.rebuilt)
            state.rebuiltDimension = dimension
        }
        return state
    }

    /// Forgets every row of `modelId`: the database's, the file, its projection and its graph.
    private func forget(modelId: String) throws {
        try store.forgetEmbeddingRows(modelId: modelId)
        unlink(Self.file(project: store.directory, modelId: modelId))
        unlink(EmbeddingsInfo.projectionFile(project: store.directory, modelId: modelId))
        unlink(ProjectEmbeddings.graphFile(project: store.directory, encoderId: modelId))
    }
}

private struct StoredState {
    var rows: [ImageID: Int]
    var projection: PrincipalComponents?
    var rebuilt: String?
    /// The dimension the forgotten store had, where its record could be read.
    var rebuiltDimension: Int?
    var restored: String?

    init(rows: [ImageID: Int], rebuilt: String? = nil) {
        self.rows = rows
        self.rebuilt = rebuilt
    }
}

/// The encoder's passes over the images to embed, a batch at a time, in an order that may put a sample first.
private struct Passes {
    let cache: PixelCache
    let workspace: EncoderWorkspace
    var todo: [(id: ImageID, path: String)]
    var done = 0
    private var bytes: [UInt8]
    private var out: [Float]

    init(cache: PixelCache, workspace: EncoderWorkspace, todo: [(id: ImageID, path: String)]) {
        self.cache = cache
        self.workspace = workspace
        self.todo = todo
        let side = workspace.encoder.config.side
        bytes = [UInt8](repeating: 0, count: workspace.batch * side * side)
        out = [Float](repeating: 0, count: workspace.batch * workspace.encoder.config.embeddingDimension)
    }

    /// Moves a seeded random sample of `count` images to the front (each keeps its relative order).
    mutating func order(sampleFirst count: Int) {
        var picked = Array(todo.indices)
        var rng = SeededGenerator(seed: 0)
        picked.shuffle(using: &rng)
        let front = Set(picked.prefix(count))
        todo =
            todo.indices.filter { front.contains($0) }.map { todo[$0] }
            + todo.indices.filter { !front.contains($0) }.map { todo[$0] }
    }

    func ids(_ range: Range<Int>) -> [ImageID] { range.map { todo[$0].id } }

    /// The embeddings of the next batch (full features, batch × dimension, the last rows unused past the end).
    mutating func next(until end: Int? = nil) -> [Float] {
        let count = min(workspace.batch, (end ?? todo.count) - done),
            pixels = workspace.encoder.config.side * workspace.encoder.config.side
        bytes.withUnsafeMutableBufferPointer { b in
            for i in 0..<count { cache.read(row: cache.rows[todo[done + i].id]!, into: b.baseAddress! + i * pixels) }
        }
        Embedder.embed(count: count, pixels: bytes, workspace: workspace, into: &out)
        done += count
        return out
    }

    /// The embeddings of the next `count` images, in one array.
    mutating func features(count: Int, progress: (Int, Int) -> Void) -> [Float] {
        let d = workspace.encoder.config.embeddingDimension, end = done + count
        var all = [Float]()
        all.reserveCapacity(count * d)
        while done < end {
            let start = done
            let batch = next(until: end)
            progress(done, todo.count)
            all.append(contentsOf: batch[0..<((done - start) * d)])
        }
        return all
    }
}

/// Appends rows to an embeddings file (projected first where the store is reduced), synced to disk before
/// the database records them.
private struct RowWriter {
    let store: ProjectStore
    let modelId: String
    let dimension: Int
    var projection: PrincipalComponents?
    var nextRow: Int
    let path: String
    private let fd: FileDescriptor

    init(store: ProjectStore, modelId: String, dimension: Int, projection: PrincipalComponents?, nextRow: Int) throws {
        self.store = store
        self.modelId = modelId
        self.dimension = dimension
        self.projection = projection
        self.nextRow = nextRow
        path = Embedder.file(project: store.directory, modelId: modelId)
        fd = try FileDescriptor(path: path)
        // Rows the database does not record (an interrupted run's) are cut off.
        guard ftruncate(fd.raw, off_t(nextRow * dimension * 4)) == 0 else {
            throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno())
        }
    }

    func writeInfo() throws {
        try EmbeddingsInfo(modelId: modelId, dimension: dimension, projection: projection).write(
            project: store.directory)
    }

    /// Writes the rows of `ids` from their full features and records them.
    mutating func append(_ features: UnsafePointer<Float>, ids: [ImageID]) throws {
        let count = ids.count, bytes = count * dimension * 4
        var projected = [Float]()
        if let projection {
            projected = [Float](repeating: 0, count: count * dimension)
            projected.withUnsafeMutableBufferPointer {
                projection.project(features, count: count, into: $0.baseAddress!)
            }
        }
        let written =
            projection == nil
            ? pwrite(fd.raw, features, bytes, off_t(nextRow * dimension * 4))
            : projected.withUnsafeBytes { pwrite(fd.raw, $0.baseAddress, bytes, off_t(nextRow * dimension * 4)) }
        guard written == bytes, fsync(fd.raw) == 0 else {
            throw ProjectError.writeFailed(
                path: path,
                reason: written < 0 || written == bytes
                    ? ErrorText.lastErrno() : "short write (\(written) of \(bytes) bytes; disk full?)")
        }
        let added = ids.enumerated().map { ($1, nextRow + $0) }
        try store.addEmbeddingRows(modelId: modelId, added)
        nextRow += count
    }
}

/// An open file, closed when the last copy goes.
private final class FileDescriptor {
    let raw: Int32

    init(path: String) throws {
        raw = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard raw >= 0 else { throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno()) }
    }

    deinit { close(raw) }
}

extension Embedder {
    /// The unit-length embeddings of the first `count` images of `pixels` (side×side bytes each) into
    /// `out`: the pooled features of each orientation the encoder asks for are summed, and the direction of
    /// the sum is the embedding. An encoder output of zeros, which has no direction, is stored as the first
    /// axis (every stored row has unit length; readers check it).
    static func embed(count: Int, pixels: [UInt8], workspace: EncoderWorkspace, into out: inout [Float]) {
        let config = workspace.encoder.config
        let side = config.side, area = side * side, d = config.embeddingDimension
        var sum = [Float](repeating: 0, count: count * d)
        for orientation in Orientation.allCases.prefix(config.orientations) {
            workspace.input.zero()
            pixels.withUnsafeBufferPointer { b in
                for i in 0..<count {
                    orientation.apply(
                        b.baseAddress! + i * area, side: side, scale: 1 / 255,
                        into: workspace.input.pointer + i * area * config.inChannels)
                }
            }
            workspace.forward(training: false, head: false)
            for k in 0..<count * d { sum[k] += workspace.embedding.pointer[k] }
        }
        for i in 0..<count {
            var norm: Float = 0
            for k in i * d..<(i + 1) * d { norm += sum[k] * sum[k] }
            let scale = 1 / max(norm.squareRoot(), 1e-12)
            let finite = norm > 1e-24 && norm.isFinite
            for k in 0..<d { out[i * d + k] = finite ? sum[i * d + k] * scale : (k == 0 ? 1 : 0) }
        }
    }
}

/// Writing NumPy `.npy` files (format 1.0, little-endian float32, C order).
public enum NumPyFile {
    public static func write(rows: Int, columns: Int, values: UnsafeRawBufferPointer, to path: String) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let prefix = 10
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: values)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
