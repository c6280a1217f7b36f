import Foundation
import PlanktermCore
import Store

#if canImport(Glibc)
    import Glibc
#endif

/// Embeddings that are not learned, for benchmarks of the screens and the queue at a scale that no
/// encoder run on this machine reaches: each image's row is the centre of its group plus Gaussian
/// noise, L2-normalised, written in the same file format and table as `Embedder`'s.
public enum SyntheticEmbeddings {
    /// Writes rows for every usable image that has none yet; `group` maps an image path to its group
    /// (images of one group are look-alikes).
    public static func write(
        store: ProjectStore, dimension: Int = 128, noise: Float = 0.5, seed: UInt64 = 1,
        group: (String) -> String
    ) throws -> EmbedResult {
        let modelId = "synthetic-d\(dimension)-s\(seed)"
        let parameters = EncoderParameters(dimension: dimension, seed: seed, synthetic: true, noise: noise)
        try EncoderCatalogue(store: store).register(id: modelId, parameters: parameters, createdAt: Date())
        let layout = ProjectLayout(directory: store.directory)
        try FileManager.default.createDirectory(atPath: layout.embeddingsFolder, withIntermediateDirectories: true)
        let info = Data(
            try ClassifierRun.json(EmbeddingsInfo(modelId: modelId, dimension: dimension, synthetic: true)).utf8)
        try info.write(to: URL(fileURLWithPath: layout.embeddingsInfo(encoder: modelId)), options: .atomic)

        var rows = try store.embeddingRows(modelId: modelId)
        let todo = try store.usableImages().filter { rows[$0.id] == nil }
        let path = Embedder.file(project: store.directory, modelId: modelId)
        var rng = SeededGenerator(seed: seed)
        var centres: [String: [Float]] = [:]
        var nextRow = (rows.values.max() ?? -1) + 1
        var out = [Float](repeating: 0, count: todo.count * dimension)
        for (i, image) in todo.enumerated() {
            let key = group(image.path)
            if centres[key] == nil { centres[key] = (0..<dimension).map { _ in gaussian(&rng) } }
            let centre = centres[key]!
            var norm: Float = 0
            for k in 0..<dimension {
                let v = centre[k] + noise * gaussian(&rng)
                out[i * dimension + k] = v
                norm += v * v
            }
            let scale = 1 / max(norm.squareRoot(), 1e-12)
            for k in 0..<dimension { out[i * dimension + k] *= scale }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProjectError.exportFailed(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = out.count * 4
        let written = out.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes, off_t(nextRow * dimension * 4)) }
        guard written == bytes, fsync(fd) == 0 else {
            throw ProjectError.exportFailed(
                path: path, reason: "cannot write embeddings: \(String(cString: strerror(errno)))")
        }
        let added = todo.enumerated().map { ($0.element.id, nextRow + $0.offset) }
        try store.addEmbeddingRows(modelId: modelId, added)
        for (id, row) in added { rows[id] = row }
        nextRow += todo.count
        return EmbedResult(
            modelId: modelId, dimension: dimension, encoderDimension: dimension, added: todo.count, total: rows.count,
            file: path)
    }

    static func gaussian(_ rng: inout SeededGenerator) -> Float {
        let u = Float.random(in: Float.ulpOfOne..<1, using: &rng), v = Float.random(in: 0..<1, using: &rng)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
