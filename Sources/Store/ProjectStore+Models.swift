import Foundation
import GRDB
import PlanktermCore

/// A trained model recorded in the project, its parameters read as `Parameters` (the caller's record type,
/// kept as JSON in `model.parameters`, see `StoredJSON`).
public struct ModelRecord<Parameters: Decodable & Sendable>: Sendable {
    public var id: String
    public var kind: String
    public var createdAt: Date
    /// The stored parameters, or why they do not read as `Parameters`.
    public var parameters: Result<Parameters, StoreError>
}

extension ProjectStore {
    /// Images that are present and decodable, by id: (id, path).
    public func usableImages() throws(StoreError) -> [(id: ImageID, path: String)] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, path FROM image WHERE failure IS NULL AND missingSince IS NULL ORDER BY id"
            )
            .map { (ImageID($0[0] as Int64), $0[1] as String) }
        }
    }

    /// Records a model (again: the same id keeps its first record).
    public func registerModel(
        id: String, kind: String, parameters: some Encodable, createdAt: Date
    ) throws(StoreError) {
        let parameters = try StoredJSON.text(parameters, model: id, column: "parameters")
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO model (id, kind, createdAt, parameters) VALUES (?, ?, ?, ?)",
                arguments: [id, kind, createdAt, parameters])
        }
    }

    /// Models of one kind, newest first, their parameters read as `type`.
    public func models<Parameters: Decodable & Sendable>(kind: String, parameters type: Parameters.Type)
        throws(StoreError)
        -> [ModelRecord<Parameters>]
    {
        try read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, kind, createdAt, parameters FROM model WHERE kind = ? ORDER BY createdAt DESC, rowid DESC",
                arguments: [kind]
            )
            .map {
                ModelRecord(
                    id: $0[0], kind: $0[1], createdAt: $0[2],
                    parameters: StoredJSON.record(type, from: $0[3], model: $0[0], column: "parameters"))
            }
        }
    }

    /// image → row of the embeddings file of `modelId`.
    public func embeddingRows(modelId: String) throws(StoreError) -> [ImageID: Int] {
        try read { db in
            var rows: [ImageID: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT imageId, row FROM embeddingRow WHERE modelId = ?", arguments: [modelId])
            {
                rows[ImageID(row[0] as Int64)] = row[1]
            }
            return rows
        }
    }

    /// Forgets every row of `modelId`'s embeddings file (the file was found damaged and is rebuilt).
    public func forgetEmbeddingRows(modelId: String) throws(StoreError) {
        try write { db in try db.execute(sql: "DELETE FROM embeddingRow WHERE modelId = ?", arguments: [modelId]) }
    }

    /// Records rows of an embeddings file, in one transaction.
    public func addEmbeddingRows(modelId: String, _ rows: [(ImageID, Int)]) throws(StoreError) {
        try write { db in
            let statement = try db.makeStatement(
                sql: "INSERT INTO embeddingRow (modelId, imageId, row) VALUES (?, ?, ?)")
            for (image, row) in rows { try statement.execute(arguments: [modelId, image.rawValue, row]) }
        }
    }
}
