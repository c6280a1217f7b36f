import Foundation
import GRDB
import PlanktermCore

/// One image's prediction by a classifier (see the v3 migration for the meaning of each field, except
/// that since issue 15 `classID` is the model's call, made under the balanced prior, and `confidence` that
/// class's probability after prior correction: the call need not be `top[0]`).
public struct PredictionRecord: Sendable, Equatable {
    public var imageID: ImageID
    public var classID: Int64
    public var confidence: Double
    /// Up to 5 (class id, probability), best first, after prior correction.
    public var top: [(classID: Int64, probability: Float)]
    public var leastConfidence: Double
    public var margin: Double
    public var entropy: Double
    /// The image's row in the model's posterior file.
    public var row: Int

    public init(
        imageID: ImageID, classID: Int64, confidence: Double, top: [(classID: Int64, probability: Float)],
        leastConfidence: Double, margin: Double, entropy: Double, row: Int
    ) {
        self.imageID = imageID
        self.classID = classID
        self.confidence = confidence
        self.top = top
        self.leastConfidence = leastConfidence
        self.margin = margin
        self.entropy = entropy
        self.row = row
    }

    public static func == (a: PredictionRecord, b: PredictionRecord) -> Bool {
        a.imageID == b.imageID && a.classID == b.classID && a.confidence == b.confidence && a.row == b.row
            && a.top.map(\.classID) == b.top.map(\.classID) && a.top.map(\.probability) == b.top.map(\.probability)
            && a.leastConfidence == b.leastConfidence && a.margin == b.margin && a.entropy == b.entropy
    }

    static func encode(_ top: [(classID: Int64, probability: Float)]) -> Data {
        var data = Data(capacity: top.count * 8)
        for (c, p) in top {
            withUnsafeBytes(of: Int32(truncatingIfNeeded: c).littleEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: p.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data?) -> [(classID: Int64, probability: Float)] {
        guard let data else { return [] }
        return data.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count - 7, by: 8).map { o in
                (
                    Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self))),
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 4, as: UInt32.self)))
                )
            }
        }
    }
}

/// A classifier version as recorded, its parameters and metrics read as the caller's record types (kept
/// as JSON in `model.parameters` and `model.metrics`, see `StoredJSON`).
public struct ClassifierRecord<Parameters: Decodable & Sendable, Metrics: Decodable & Sendable>: Sendable {
    public var id: String
    public var createdAt: Date
    /// The stored parameters, or why they do not read as `Parameters`.
    public var parameters: Result<Parameters, StoreError>
    /// The stored metrics, or why they do not read as `Metrics`.
    public var metrics: Result<Metrics, StoreError>

    init(row: Row) {
        id = row[0]
        createdAt = row[1]
        parameters = StoredJSON.record(Parameters.self, from: row[2], model: row[0], column: "parameters")
        metrics = StoredJSON.record(Metrics.self, from: row[3], model: row[0], column: "metrics")
    }
}

/// One image of the project with what the learning side needs of it.
public struct ImageSummary: Sendable, Equatable {
    public var id: ImageID
    public var path: String
    public var width: Int
    public var height: Int
}

extension ProjectStore {
    /// Every class: id → name.
    public func classNames() throws(StoreError) -> [Int64: String] {
        try read { db in
            var names: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM class") { names[row[0]] = row[1] }
            return names
        }
    }

    /// The validated labels of usable images: image → class id.
    public func validatedLabels() throws(StoreError) -> [ImageID: Int64] {
        try read { db in
            var labels: [ImageID: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT l.imageId, l.classId FROM currentLabel l JOIN image i ON i.id = l.imageId
                    WHERE l.status = 'validated' AND i.failure IS NULL AND i.missingSince IS NULL
                    """)
            {
                labels[ImageID(row[0] as Int64)] = row[1]
            }
            return labels
        }
    }

    /// Usable images with their pixel sizes, by id.
    public func usableImageSummaries() throws(StoreError) -> [ImageSummary] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, path, COALESCE(width, 0), COALESCE(height, 0) FROM image
                    WHERE failure IS NULL AND missingSince IS NULL ORDER BY id
                    """
            ).map { ImageSummary(id: ImageID($0[0] as Int64), path: $0[1], width: $0[2], height: $0[3]) }
        }
    }

    /// Makes a classifier version current together with its predictions, in one transaction: readers
    /// see either the previous model or the complete new one.
    public func installClassifier(
        id: String, parameters: some Encodable, metrics: some Encodable, createdAt: Date,
        predictions: [PredictionRecord]
    ) throws(StoreError) {
        let parameters = try StoredJSON.text(parameters, model: id, column: "parameters")
        let metrics = try StoredJSON.text(metrics, model: id, column: "metrics")
        try write { db in
            try db.execute(
                sql: "INSERT INTO model (id, kind, createdAt, parameters, metrics) VALUES (?, 'classifier', ?, ?, ?)",
                arguments: [id, createdAt, parameters, metrics])
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO prediction (imageId, modelId, classId, confidence, createdAt, top, leastConfidence, margin,
                                            entropy, row)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for p in predictions {
                try statement.execute(arguments: [
                    p.imageID.rawValue, id, p.classID, p.confidence, createdAt,
                    PredictionRecord.encode(p.top), p.leastConfidence, p.margin,
                    p.entropy, p.row
                ])
            }
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES ('currentModel', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [id])
        }
    }

    /// Rewrites the stored call (`classId`, `confidence`) of some of a classifier's predictions and its
    /// parameters, in one transaction, if its parameters are still `expected` (a reader that got there
    /// first has done it: then nothing is written). Returns whether it wrote.
    @discardableResult
    public func rewriteCalls<Parameters: Codable & Equatable & Sendable>(
        model id: String, expected: Parameters, parameters: Parameters,
        calls: [(imageID: ImageID, classID: Int64, confidence: Double)]
    ) throws(StoreError) -> Bool {
        let parameters = try StoredJSON.text(parameters, model: id, column: "parameters")
        return try write { db in
            guard
                let stored = try String.fetchOne(db, sql: "SELECT parameters FROM model WHERE id = ?", arguments: [id]),
                (try? StoredJSON.value(Parameters.self, from: stored)) == expected
            else {
                return false
            }
            let statement = try db.makeStatement(
                sql: "UPDATE prediction SET classId = ?, confidence = ? WHERE modelId = ? AND imageId = ?")
            for c in calls { try statement.execute(arguments: [c.classID, c.confidence, id, c.imageID.rawValue]) }
            try db.execute(sql: "UPDATE model SET parameters = ? WHERE id = ?", arguments: [parameters, id])
            return true
        }
    }

    /// Makes an earlier classifier version current again.
    public func makeCurrent(classifier id: String) throws(StoreError) {
        try write { db in
            guard
                try Bool.fetchOne(db, sql: "SELECT 1 FROM model WHERE id = ? AND kind = 'classifier'", arguments: [id])
                    == true
            else {
                throw StoreError.unknownModel(id)
            }
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES ('currentModel', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [id])
        }
    }

    /// Deletes all but the newest `keep` classifier versions (never the current one) with their
    /// predictions, in one transaction; returns the ids deleted, for their files to be removed.
    @discardableResult
    public func deleteOldClassifiers(keep: Int) throws(StoreError) -> [String] {
        try write { db in
            let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'currentModel'")
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM model WHERE kind = 'classifier' ORDER BY createdAt DESC, rowid DESC")
            let doomed = ids.dropFirst(max(0, keep)).filter { $0 != current }
            for id in doomed {
                try db.execute(sql: "DELETE FROM prediction WHERE modelId = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM model WHERE id = ?", arguments: [id])
            }
            return Array(doomed)
        }
    }

    /// The id of the current classifier, if any: one small read, for screens that poll for a new model.
    /// The id of the newest annotation that is an expert's (anything but a prediction), 0 when none:
    /// a model trained before it has not seen every label.
    public func latestExpertAnnotationId() throws(StoreError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM annotation WHERE status != 'predicted'") ?? 0
        }
    }

    /// When the newest expert annotation was given (its recorded time), nil when there is none.
    public func latestExpertAnnotationTime() throws(StoreError) -> Date? {
        try read { db in
            try Date.fetchOne(
                db, sql: "SELECT time FROM annotation WHERE status != 'predicted' ORDER BY id DESC LIMIT 1")
        }
    }

    public func currentClassifierId() throws(StoreError) -> String? {
        try meta("currentModel")
    }

    /// The current classifier, if any, its parameters and metrics read as the types given.
    public func currentClassifier<Parameters: Decodable & Sendable, Metrics: Decodable & Sendable>(
        parameters: Parameters.Type, metrics: Metrics.Type
    ) throws(StoreError) -> ClassifierRecord<Parameters, Metrics>? {
        try read { db in
            guard let id = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'currentModel'") else {
                return nil
            }
            return try Row.fetchOne(
                db, sql: "SELECT id, createdAt, parameters, metrics FROM model WHERE id = ?", arguments: [id]
            )
            .map(ClassifierRecord.init(row:))
        }
    }

    /// Classifier versions, newest first, their parameters and metrics read as the types given.
    public func classifiers<Parameters: Decodable & Sendable, Metrics: Decodable & Sendable>(
        parameters: Parameters.Type, metrics: Metrics.Type
    ) throws(StoreError) -> [ClassifierRecord<Parameters, Metrics>] {
        try read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, createdAt, parameters, metrics FROM model WHERE kind = 'classifier' ORDER BY createdAt DESC, rowid DESC"
            )
            .map(ClassifierRecord.init(row:))
        }
    }

    /// The predictions of a classifier, by image.
    public func predictions(model id: String) throws(StoreError) -> [ImageID: PredictionRecord] {
        try read { db in
            var out: [ImageID: PredictionRecord] = [:]
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT imageId, classId, confidence, top, leastConfidence, margin, entropy, row FROM prediction
                    WHERE modelId = ?
                    """, arguments: [id])
            while let r = try cursor.next() {
                let image = ImageID(r[0] as Int64)
                out[image] = PredictionRecord(
                    imageID: image, classID: r[1], confidence: r[2],
                    top: PredictionRecord.decode(r[3]), leastConfidence: r[4] ?? 0,
                    margin: r[5] ?? 0, entropy: r[6] ?? 0, row: r[7] ?? -1)
            }
            return out
        }
    }

    /// Stores metadata fields of images (replacing earlier values of the same name), in one transaction.
    public func setFields(_ fields: [(ImageID, name: String, value: String)]) throws(StoreError) {
        try write { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO imageField (imageId, name, value) VALUES (?, ?, ?)
                    ON CONFLICT(imageId, name) DO UPDATE SET value = excluded.value
                    """)
            for (image, name, value) in fields { try statement.execute(arguments: [image.rawValue, name, value]) }
        }
    }

    /// The values of one metadata field, by image.
    public func field(_ name: String) throws(StoreError) -> [ImageID: String] {
        try read { db in
            var out: [ImageID: String] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT imageId, value FROM imageField WHERE name = ?", arguments: [name])
            {
                out[ImageID(row[0] as Int64)] = row[1]
            }
            return out
        }
    }

    /// The names of the metadata fields present.
    public func fieldNames() throws(StoreError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT name FROM imageField ORDER BY name") }
    }
}
