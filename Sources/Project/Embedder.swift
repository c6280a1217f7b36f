import Foundation
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
    public var modelId: String
    public var dimension: Int
    public var added: Int
    public var total: Int
    public var file: String
}

/// Computes L2-normalised embeddings of every usable image with an encoder (eval mode) into
/// `embeddings/<modelId>.f32`: float32 rows of the encoder's dimension, which other parts memory-map.
/// The database maps images to rows (`embeddingRow`); a second run embeds only new images.
///
/// Rows are appended and synced to disk before the database records them, so an interrupted run
/// leaves at most unrecorded rows at the end of the file, which the next run cuts off.
public struct Embedder {
    public var store: ProjectStore
    public var clock: any Clock

    public init(store: ProjectStore, clock: any Clock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// The weights file of a registered encoder (its parameters' "weights", relative to the project or
    /// absolute), if it is on disk; nil for encoders without weights (synthetic ones) or unknown ids.
    public static func weights(ofEncoder id: String, store: ProjectStore) throws -> String? {
        guard let model = try store.models(kind: "encoder").first(where: { $0.id == id }) else { return nil }
        return weights(of: model, project: store.directory)
    }

    static func weights(of model: ModelRecord, project: String) -> String? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(model.parameters.utf8)) as? [String: Any],
              let relative = json["weights"] as? String else { return nil }
        let path = relative.hasPrefix("/") ? relative : project + "/" + relative
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The project's encoders newer than the newest one with its weights on disk, whose recorded weights
    /// file is gone (id, path): embedding now falls back past them, which a person should be told.
    public static func missingWeights(store: ProjectStore) throws -> [(id: String, path: String)] {
        var missing: [(id: String, path: String)] = []
        for model in try store.models(kind: "encoder") {
            if weights(of: model, project: store.directory) != nil { break }
            guard let json = try? JSONSerialization.jsonObject(with: Data(model.parameters.utf8)) as? [String: Any],
                  let recorded = json["weights"] as? String else { continue }
            missing.append((model.id, recorded.hasPrefix("/") ? recorded : store.directory + "/" + recorded))
        }
        return missing
    }

    /// The weights of the project's newest encoder that has a weights file on disk.
    public static func newestWeights(store: ProjectStore) throws -> String? {
        try store.models(kind: "encoder").lazy.compactMap { weights(of: $0, project: store.directory) }.first
    }

    /// The embeddings file of `modelId` in the project.
    public static func file(project: String, modelId: String) -> String { project + "/embeddings/\(modelId).f32" }

    public func run(weights: String, imagesRoot: String, batch: Int = 256,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> EmbedResult {
        let (encoder, metadata) = try Encoder.load(from: weights)
        let modelId = try Pretrainer.modelId(ofWeightsAt: weights)
        let parameters = try JSONSerialization.data(withJSONObject: [
            "weights": weights, "trainer": metadata["plankterm.trainer"] ?? "unknown",
            "dimension": encoder.config.embeddingDimension, "side": encoder.config.side,
            "orientations": encoder.config.orientations,
        ], options: [.sortedKeys])
        try store.registerModel(id: modelId, kind: "encoder", parameters: String(decoding: parameters, as: UTF8.self),
                                createdAt: clock.now())
        let d = encoder.config.embeddingDimension
        let images = try store.usableImages()
        var rows = try store.embeddingRows(modelId: modelId)
        let folder = store.directory + "/embeddings"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = Self.file(project: store.directory, modelId: modelId)
        // Rows already recorded must be in the file as written; a missing or damaged file is rebuilt from
        // nothing (and the neighbour graph made from it goes too), never extended.
        var rebuilt: String?
        if !rows.isEmpty {
            do {
                _ = try ProjectEmbeddings.verified(project: store.directory, encoderId: modelId, dimension: d, rows: rows)
            } catch {
                if case .damaged(_, let reason, _) = error { rebuilt = reason } else { rebuilt = error.description }
                try store.forgetEmbeddingRows(modelId: modelId)
                rows = [:]
                unlink(path)
                unlink(ProjectEmbeddings.graphFile(project: store.directory, encoderId: modelId))
            }
        }
        let todo = images.filter { rows[$0.id] == nil }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno()) }
        defer { close(fd) }
        var nextRow = (rows.values.max() ?? -1) + 1
        guard ftruncate(fd, off_t(nextRow * d * 4)) == 0 else {
            throw ProjectError.writeFailed(path: path, reason: ErrorText.lastErrno())
        }
        let info = try JSONSerialization.data(withJSONObject: ["modelId": modelId, "dimension": d, "dtype": "float32",
                                                               "normalised": "L2", "rows": "see table embeddingRow"],
                                              options: [.sortedKeys, .prettyPrinted])
        try info.write(to: URL(fileURLWithPath: folder + "/\(modelId).json"), options: .atomic)
        guard !todo.isEmpty else {
            return EmbedResult(rebuilt: rebuilt, modelId: modelId, dimension: d, added: 0, total: rows.count, file: path)
        }
        let cache = try PixelCache(directory: store.directory, side: encoder.config.side, images: todo,
                                   imagesRoot: imagesRoot)
        let workspace = EncoderWorkspace(encoder: encoder, batch: EncoderWorkspace.batch(for: encoder, limit: min(batch, todo.count)))
        let pixels = encoder.config.side * encoder.config.side
        var bytes = [UInt8](repeating: 0, count: workspace.batch * pixels)
        var out = [Float](repeating: 0, count: workspace.batch * d)
        var done = 0
        while done < todo.count {
            let count = min(workspace.batch, todo.count - done)
            bytes.withUnsafeMutableBufferPointer { b in
                for i in 0..<count { cache.read(row: cache.rows[todo[done + i].id]!, into: b.baseAddress! + i * pixels) }
            }
            Self.embed(count: count, pixels: bytes, workspace: workspace, into: &out)
            let offset = off_t(nextRow * d * 4)
            let written = out.withUnsafeBytes { pwrite(fd, $0.baseAddress, count * d * 4, offset) }
            guard written == count * d * 4, fsync(fd) == 0 else {
                throw ProjectError.writeFailed(path: path, reason: written < 0 || written == count * d * 4
                                               ? ErrorText.lastErrno() : "short write (\(written) of \(count * d * 4) bytes; disk full?)")
            }
            let added = (0..<count).map { (todo[done + $0].id, nextRow + $0) }
            try store.addEmbeddingRows(modelId: modelId, added)
            for (id, row) in added { rows[id] = row }
            nextRow += count
            done += count
            progress(done, todo.count)
        }
        return EmbedResult(rebuilt: rebuilt, modelId: modelId, dimension: d, added: todo.count, total: rows.count, file: path)
    }
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
                    orientation.apply(b.baseAddress! + i * area, side: side, scale: 1 / 255,
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
