import Foundation
import Learning
import Neighbors
import PlanktermCore
import Store

/// The embeddings of a project's images under one encoder, memory-mapped, with the image of each row:
/// what the heads, the neighbour graph and the queue read.
public struct ProjectEmbeddings: Sendable {
    public var encoderId: String
    public var matrix: MappedMatrix
    /// rowImage[r] is the image of row r; rows of images that are now missing or broken are left out of
    /// `rows`.
    public var rowImage: [ImageID?]
    public var rowOf: [ImageID: Int]
    /// The image records of usable images, by id.
    public var images: [ImageID: ImageSummary]

    /// The project's encoder whose embeddings cover the most usable images (newest first on ties).
    public static func load(store: ProjectStore) throws -> ProjectEmbeddings {
        let images = try store.usableImageSummaries()
        var best: (String, [ImageID: Int], Int)?
        for model in try EncoderCatalogue(store: store).encoders() {
            let rows = try store.embeddingRows(modelId: model.id)
            let covered = images.filter { rows[$0.id] != nil }.count
            if covered > 0 && covered > (best?.2 ?? 0) { best = (model.id, rows, covered) }
        }
        guard let (encoderId, rows, _) = best else {
            throw ProjectError.noEmbeddings(project: store.directory)
        }
        let dimension = try Self.dimension(project: store.directory, encoderId: encoderId)
        let matrix = try verified(project: store.directory, encoderId: encoderId, dimension: dimension, rows: rows)
        var rowImage = [ImageID?](repeating: nil, count: matrix.rows)
        var byId: [ImageID: ImageSummary] = [:]
        for image in images { byId[image.id] = image }
        var rowOf: [ImageID: Int] = [:]
        for (image, row) in rows where byId[image] != nil {
            rowImage[row] = image
            rowOf[image] = row
        }
        return ProjectEmbeddings(encoderId: encoderId, matrix: matrix, rowImage: rowImage, rowOf: rowOf, images: byId)
    }

    /// The embeddings file of `encoderId`, mapped, after checking it holds every recorded row and that each
    /// of them is what `Embedder` writes: finite and of unit length. A missing, truncated, zeroed or
    /// overwritten file is `ProjectError.damaged` (`plankterm embed` rebuilds it), never features.
    static func verified(
        project: String, encoderId: String, dimension: Int,
        rows: [ImageID: Int]
    ) throws(ProjectError) -> MappedMatrix {
        let path = Embedder.file(project: project, modelId: encoderId)
        let remedy = "run 'plankterm embed \(project)': it embeds every image again"
        let count = (rows.values.max() ?? -1) + 1
        let matrix: MappedMatrix
        do {
            matrix = try MappedMatrix(path: path, columns: dimension, rows: count)
        } catch {
            throw .damaged(path: path, reason: error.reason, remedy: remedy)
        }
        if let row = firstBadRow(matrix, rows: rows.values) {
            throw .damaged(path: path, reason: "row \(row) is not a unit-length embedding", remedy: remedy)
        }
        return matrix
    }

    /// The first of `rows` whose vector is not finite and of length 1 (±1 %), if any.
    static func firstBadRow(_ matrix: MappedMatrix, rows: some Sequence<Int>) -> Int? {
        for r in rows.sorted() {
            let v = matrix.row(r)
            var squares: Float = 0
            for x in v { squares += x * x }
            if !(squares > 0.98 && squares < 1.02) { return r }
        }
        return nil
    }

    /// Floats a stored row of `encoderId`, from `embeddings/<id>.json`.
    static func dimension(project: String, encoderId: String) throws -> Int {
        try EmbeddingsInfo.read(project: project, modelId: encoderId).dimension
    }

    /// Rows of usable images, ascending.
    public var rows: [Int] { rowImage.indices.filter { rowImage[$0] != nil } }

    /// The heads' view: embeddings plus log(width · height) per row.
    public var features: Features {
        let logSize = rowImage.map { id -> Float in
            guard let id, let image = images[id], image.width > 0, image.height > 0 else { return 0 }
            return Float(log(Double(image.width * image.height)))
        }
        return Features(
            count: matrix.rows, dimension: matrix.columns, embeddings: matrix.pointer, logSize: logSize,
            owner: matrix)
    }

    /// Usable images that have no embedding yet.
    public func missing() -> Int { images.count - rowOf.count }

    /// The neighbour-graph file of this encoder.
    public static func graphFile(project: String, encoderId: String) -> String {
        ProjectLayout(directory: project).neighborGraph(encoder: encoderId)
    }

    /// Builds or extends the k-NN graph of every row (self excluded) and saves it; returns it.
    @discardableResult
    public func updateGraph(project: String, k: Int = 32, threads: Int = 2) throws -> NeighborGraph {
        let path = Self.graphFile(project: project, encoderId: encoderId)
        try FileManager.default.createDirectory(
            atPath: ProjectLayout(directory: project).neighborsFolder, withIntermediateDirectories: true)
        let search = ExactSearch(threads: threads)
        var graph: NeighborGraph
        if let old = try? NeighborGraph.read(from: path), old.k == k, old.rows <= matrix.rows {
            guard old.rows < matrix.rows else { return old }
            graph = old.extended(to: matrix, search: search)
        } else {
            graph = NeighborGraph.build(matrix, k: k, search: search)
        }
        try graph.write(to: path)
        return graph
    }
}
