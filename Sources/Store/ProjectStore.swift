import Foundation
import GRDB
import PlanktermCore

/// The project database: an SQLite file in WAL mode inside the project folder.
///
/// Every write is one IMMEDIATE transaction with `synchronous = FULL`, so a label that a method has
/// returned from survives a crash, a `kill -9` or a power cut, and concurrent processes queue on the
/// write lock (for up to `busyTimeout`) instead of failing.
public final class ProjectStore: Sendable {
    /// The database file's name inside a project folder.
    public static let databaseFileName = ProjectLayout.databaseFileName
    /// How long a writer waits for another process's write transaction.
    public static let busyTimeout: TimeInterval = 30

    /// The project folder.
    public let directory: String
    private let pool: DatabasePool

    private init(directory: String, pool: DatabasePool) {
        self.directory = directory
        self.pool = pool
    }

    /// The database file of the project in `directory`.
    public static func databasePath(in directory: String) -> String {
        ProjectLayout(directory: directory).database
    }

    /// Creates a project folder (if needed) and an empty database in it.
    public static func create(at directory: String, clock: any Clock = SystemClock()) throws(StoreError) -> ProjectStore
    {
        let path = databasePath(in: directory)
        if FileManager.default.fileExists(atPath: path) { throw .alreadyExists(path: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .database(path: directory, message: "cannot create the folder: \(ErrorText.describe(error))")
        }
        let store = try connect(directory: directory)
        try store.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('projectId', ?), ('createdAt', ?)",
                arguments: [UUID().uuidString, ISO8601DateFormatter().string(from: clock.now())])
        }
        return store
    }

    /// Opens the project in `directory`, migrating its database to the current schema.
    public static func open(at directory: String) throws(StoreError) -> ProjectStore {
        let path = databasePath(in: directory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw .notAProject(path: directory)
        }
        // An empty database file (truncated, or zeroed by a disk tool) would open as a new, empty project
        // and the next write would make that permanent: refuse it before SQLite touches the file.
        if fileSize(path) == 0 && (fileSize(path + "-wal") ?? 0) == 0 {
            throw .damaged(path: path, reason: "the database file is empty (0 bytes)")
        }
        return try connect(directory: directory, existing: true)
    }

    private static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    private static func connect(directory: String, existing: Bool = false) throws(StoreError) -> ProjectStore {
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            // FULL: a committed transaction is on disk before the call returns, power cut included.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let path = databasePath(in: directory)
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            if existing {
                // A project's database always has its tables and its id; one without them is damaged, and
                // migrating it would quietly make a new, empty project out of it.
                let tables = try pool.read {
                    try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                }
                let hasId =
                    try tables > 0
                    && pool.read { db in
                        try db.tableExists("meta")
                            && (try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'projectId'")) != nil
                    }
                guard hasId else {
                    throw StoreError.damaged(
                        path: path,
                        reason: tables == 0
                            ? "the database holds no tables"
                            : "the database has no project id (not a plankterm project, or damaged)")
                }
            }
            let migrator = Schema.migrator
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) { throw StoreError.newerSchema(path: directory) }
            try migrator.migrate(pool)
            return ProjectStore(directory: directory, pool: pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            throw .damaged(path: path, reason: error.message ?? "not an SQLite database")
        } catch {
            throw .database(path: directory, message: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? "\(db.resultCode)" }
        return ErrorText.describe(error)
    }

    // MARK: Transactions

    /// Runs `body` in one IMMEDIATE write transaction: all of it is committed, or none of it.
    public func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(path: directory, message: Self.describe(error))
        }
    }

    /// Runs `body` on a read-only snapshot of the database.
    public func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(path: directory, message: Self.describe(error))
        }
    }

    // MARK: Meta

    /// A project setting, such as `imagesRoot`.
    public func meta(_ key: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Sets a project setting.
    public func setMeta(_ key: String, _ value: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    // MARK: Images

    /// Every stored image's fingerprint, by path.
    public func imageFingerprints() throws(StoreError) -> [String: ImageFingerprint] {
        try read { db in
            var result: [String: ImageFingerprint] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, path, hash, byteSize, modifiedAt, failure IS NOT NULL, missingSince IS NOT NULL FROM image
                    """)
            while let row = try rows.next() {
                let fp = ImageFingerprint(
                    id: ImageID(row[0]), path: row[1], hash: row[2], byteSize: row[3],
                    modifiedAt: row[4], failed: row[5], missing: row[6])
                result[fp.path] = fp
            }
            return result
        }
    }

    /// Inserts new images and replaces the facts of changed or moved ones (their ids and labels stay,
    /// their `missing` mark is cleared), all in one transaction; returns the new images' ids in order.
    @discardableResult
    public func saveImages(
        inserting inserts: [ImageFacts], updating updates: [(ImageID, ImageFacts)] = [],
        importedAt: Date
    ) throws(StoreError) -> [ImageID] {
        try write { db in
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO image (path, hash, byteSize, modifiedAt, format, width, height, channels, bitDepth,
                                       sourceColor, importedAt, failure)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            var ids: [ImageID] = []
            ids.reserveCapacity(inserts.count)
            for f in inserts {
                try insert.execute(arguments: [
                    f.path, f.hash, f.byteSize, f.modifiedAt, f.format, f.width,
                    f.height, f.channels, f.bitDepth, f.sourceColor, importedAt,
                    f.failure
                ])
                ids.append(ImageID(db.lastInsertedRowID))
            }
            let update = try db.makeStatement(
                sql: """
                    UPDATE image SET path = ?, hash = ?, byteSize = ?, modifiedAt = ?, format = ?, width = ?, height = ?,
                                     channels = ?, bitDepth = ?, sourceColor = ?, importedAt = ?, failure = ?,
                                     missingSince = NULL
                    WHERE id = ?
                    """)
            for (id, f) in updates {
                try update.execute(arguments: [
                    f.path, f.hash, f.byteSize, f.modifiedAt, f.format, f.width,
                    f.height, f.channels, f.bitDepth, f.sourceColor, importedAt,
                    f.failure, id.rawValue
                ])
            }
            return ids
        }
    }

    /// Marks images whose files are gone (`missing: true`, from `time`) or back (`missing: false`).
    public func setMissing(_ ids: [ImageID], missing: Bool, time: Date) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write { db in
            let statement = try db.makeStatement(sql: "UPDATE image SET missingSince = ? WHERE id = ?")
            for id in ids {
                try statement.execute(arguments: [missing ? time : nil, id.rawValue])
            }
        }
    }

    /// The id of the image at `path` (relative to the images root).
    public func imageID(path: String) throws(StoreError) -> ImageID? {
        try read { db in
            let id = try Int64.fetchOne(db, sql: "SELECT id FROM image WHERE path = ?", arguments: [path])
            return id.map { ImageID($0) }
        }
    }

    /// Ids of images by path, for the given paths (unknown paths are left out).
    public func imageIDs() throws(StoreError) -> [String: ImageID] {
        try read { db in
            var result: [String: ImageID] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, id FROM image")
            while let row = try rows.next() { result[row[0]] = ImageID(row[1] as Int64) }
            return result
        }
    }

    /// Images that could not be decoded, with the reason.
    public func failedImages() throws(StoreError) -> [FailedImage] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT path, failure FROM image WHERE failure IS NOT NULL ORDER BY path")
                .map { FailedImage(path: $0[0], reason: $0[1]) }
        }
    }

    /// Paths of images whose files have vanished.
    public func missingImages() throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT path FROM image WHERE missingSince IS NOT NULL ORDER BY path")
        }
    }

    // MARK: Classes and annotations

    /// The id of class `name`, created if new.
    static func classID(_ name: String, in db: Database, now: Date) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM class WHERE name = ?", arguments: [name]) {
            return id
        }
        guard !name.isEmpty,
            name.unicodeScalars.contains(where: { !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F })
        else {
            throw StoreError.invalidClassName(name)
        }
        try db.execute(sql: "INSERT INTO class (name, createdAt) VALUES (?, ?)", arguments: [name, now])
        return db.lastInsertedRowID
    }

    /// Appends annotations to the history in one transaction; returns their ids.
    @discardableResult
    public func append(_ drafts: [AnnotationDraft]) throws(StoreError) -> [Int64] {
        try write { db in try Self.append(drafts, in: db) }
    }

    static func append(_ drafts: [AnnotationDraft], in db: Database) throws -> [Int64] {
        var classIDs: [String: Int64] = [:]
        let statement = try db.makeStatement(
            sql: """
                INSERT INTO annotation (imageId, classId, status, annotator, time, source, confidence)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        var ids: [Int64] = []
        ids.reserveCapacity(drafts.count)
        for d in drafts {
            var resolved: Int64? = nil
            if let name = d.className {
                if let known = classIDs[name] {
                    resolved = known
                } else {
                    let id = try classID(name, in: db, now: d.time)
                    classIDs[name] = id
                    resolved = id
                }
            }
            do {
                try statement.execute(arguments: [
                    d.imageID.rawValue, resolved, d.status.rawValue, d.annotator,
                    d.time, d.source, d.confidence
                ])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                throw StoreError.unknownImage("\(d.imageID.rawValue)")
            }
            ids.append(db.lastInsertedRowID)
        }
        return ids
    }

    /// Each labelled image's label state, for the importer.
    public func labelStates() throws(StoreError) -> [ImageID: LabelState] {
        try read { db in
            var states: [ImageID: LabelState] = [:]
            let current = try Row.fetchCursor(
                db,
                sql: """
                    SELECT l.imageId, c.name, l.status, a.source FROM currentLabel l
                    JOIN class c ON c.id = l.classId JOIN annotation a ON a.id = l.annotationId
                    """)
            while let row = try current.next() {
                let status = LabelStatus(rawValue: row[2]) ?? .validated
                states[ImageID(row[0] as Int64), default: LabelState()].current = (row[1], status, row[3])
            }
            let imported = try Row.fetchCursor(
                db,
                sql: """
                    SELECT a.imageId, c.name, a.status FROM annotation a LEFT JOIN class c ON c.id = a.classId
                    WHERE a.id IN (SELECT MAX(id) FROM annotation WHERE source = 'import' GROUP BY imageId)
                    """)
            while let row = try imported.next() {
                let status = LabelStatus(rawValue: row[2]) ?? .validated
                states[ImageID(row[0] as Int64), default: LabelState()].lastImported = (row[1], status)
            }
            return states
        }
    }

    /// Current labels, in path order; `statuses` limits which.
    public func currentLabels(statuses: Set<LabelStatus> = Set(LabelStatus.allCases)) throws(StoreError)
        -> [CurrentLabel]
    {
        try read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT i.id, i.path, i.hash, c.name, l.status, a.annotator, a.time, a.source, a.confidence
                    FROM currentLabel l JOIN image i ON i.id = l.imageId JOIN class c ON c.id = l.classId
                    JOIN annotation a ON a.id = l.annotationId
                    ORDER BY i.path
                    """)
            var result: [CurrentLabel] = []
            while let row = try rows.next() {
                guard let status = LabelStatus(rawValue: row[4]), statuses.contains(status) else { continue }
                result.append(
                    CurrentLabel(
                        imageID: ImageID(row[0] as Int64), path: row[1], hash: row[2],
                        className: row[3], status: status, annotator: row[5], time: row[6],
                        source: row[7], confidence: row[8]))
            }
            return result
        }
    }

    /// Every annotation of one image, oldest first: (class or nil, status, annotator, time, source).
    public func history(of image: ImageID) throws(StoreError) -> [AnnotationDraft] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.imageId, c.name, a.status, a.annotator, a.time, a.source, a.confidence
                    FROM annotation a LEFT JOIN class c ON c.id = a.classId WHERE a.imageId = ? ORDER BY a.id
                    """, arguments: [image.rawValue]
            ).map {
                AnnotationDraft(
                    imageID: ImageID($0[0] as Int64), className: $0[1],
                    status: LabelStatus(rawValue: $0[2]) ?? .validated, annotator: $0[3],
                    time: $0[4], source: $0[5], confidence: $0[6])
            }
        }
    }

    // MARK: Summary and health

    /// The counts behind `plankterm status`.
    public func summary() throws(StoreError) -> ProjectSummary {
        try read { db in
            let images =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE failure IS NULL AND missingSince IS NULL")
                ?? 0
            let failed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE failure IS NOT NULL") ?? 0
            let missing = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE missingSince IS NOT NULL") ?? 0
            let classes = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM class") ?? 0
            let annotations = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM annotation") ?? 0
            var byStatus: [String: Int] = [:]
            // Labels are counted on images that are present and decodable; the others keep theirs, apart.
            let usable = "JOIN image i ON i.id = l.imageId AND i.failure IS NULL AND i.missingSince IS NULL"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM currentLabel") ?? 0
            for row in try Row.fetchAll(
                db, sql: "SELECT l.status, COUNT(*) FROM currentLabel l \(usable) GROUP BY l.status")
            {
                byStatus[row[0]] = row[1]
            }
            let perClass = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.name,
                           COALESCE(SUM(l.status = 'validated'), 0), COALESCE(SUM(l.status = 'predicted'), 0),
                           COALESCE(SUM(l.status = 'dubious'), 0)
                    FROM class c LEFT JOIN (SELECT l.* FROM currentLabel l \(usable)) l ON l.classId = c.id
                    GROUP BY c.id ORDER BY c.name
                    """
            ).map { ClassCount(name: $0[0], validated: $0[1], predicted: $0[2], dubious: $0[3]) }
            let failures = try Row.fetchAll(
                db, sql: "SELECT path, failure FROM image WHERE failure IS NOT NULL ORDER BY path"
            )
            .map { FailedImage(path: $0[0], reason: $0[1]) }
            let validated = byStatus["validated"] ?? 0, predicted = byStatus["predicted"] ?? 0
            let dubious = byStatus["dubious"] ?? 0
            return ProjectSummary(
                images: images, failed: failed, missing: missing, classes: classes,
                labeled: validated + predicted + dubious, validated: validated,
                predicted: predicted, dubious: dubious,
                labelsOnUnusableImages: total - validated - predicted - dubious,
                annotations: annotations,
                perClass: perClass, failures: failures)
        }
    }

    /// SQLite's `PRAGMA integrity_check`: "ok" when the database is sound.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// The journal mode in force (`wal` for every project).
    public func journalMode() throws(StoreError) -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
