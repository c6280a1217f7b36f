import Foundation
import GRDB
import PlanktermCore

extension ProjectStore {
    /// Every class with its counts of expert labels (validated, dubious) and, as `predicted`, of the
    /// images without an expert label whose current model's top class it is (the Classes screen's rows).
    public func classCounts() throws(StoreError) -> [ClassCount] {
        try read { db in
            var counts: [Int64: ClassCount] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM class") {
                counts[row[0]] = ClassCount(name: row[1], validated: 0, predicted: 0, dubious: 0)
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT classId, status, COUNT(*) FROM currentLabel WHERE status != 'predicted' GROUP BY classId, status
                    """)
            {
                let id: Int64 = row[0], n: Int = row[2]
                if (row[1] as String) == LabelStatus.dubious.rawValue {
                    counts[id]?.dubious += n
                } else {
                    counts[id]?.validated += n
                }
            }
            if let model = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'currentModel'") {
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT p.classId, COUNT(*) FROM prediction p
                        WHERE p.modelId = ?
                          AND NOT EXISTS (SELECT 1 FROM currentLabel l WHERE l.imageId = p.imageId AND l.status != 'predicted')
                        GROUP BY p.classId
                        """, arguments: [model])
                {
                    counts[row[0] as Int64]?.predicted += row[1] as Int
                }
            }
            return counts.values.sorted { $0.name < $1.name }
        }
    }

    /// Adds a class with no images (so it can be picked).
    public func addClass(_ name: String, time: Date) throws(StoreError) {
        try write { db in
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw StoreError.invalidClassName(name) }
            try db.execute(sql: "INSERT OR IGNORE INTO class (name, createdAt) VALUES (?, ?)", arguments: [name, time])
        }
    }

    /// Renames a class: its labels and the model's predictions follow, since they refer to it by id.
    /// Refuses a name that another class has (merge instead).
    public func renameClass(_ name: String, to newName: String) throws(StoreError) {
        try write { db in
            guard !newName.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw StoreError.invalidClassName(newName)
            }
            guard try Int64.fetchOne(db, sql: "SELECT id FROM class WHERE name = ?", arguments: [name]) != nil else {
                throw StoreError.refused("no class \(name)")
            }
            if newName != name,
                try Int64.fetchOne(db, sql: "SELECT id FROM class WHERE name = ?", arguments: [newName]) != nil
            {
                throw StoreError.refused("a class \(newName) exists already: merge into it instead")
            }
            try db.execute(sql: "UPDATE class SET name = ? WHERE name = ?", arguments: [newName, name])
        }
    }

    /// Merges `name` into `target`: every image whose expert label is `name` gets `target` (same status),
    /// as new annotations in one transaction and one undoable batch. Returns how many images moved.
    @discardableResult
    public func mergeClass(_ name: String, into target: String, annotator: String, time: Date) throws(StoreError) -> Int
    {
        try write { db in
            guard name != target else { throw StoreError.refused("a class cannot be merged into itself") }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT l.imageId, l.status FROM currentLabel l JOIN class c ON c.id = l.classId
                    WHERE c.name = ? AND l.status != 'predicted' ORDER BY l.imageId
                    """, arguments: [name])
            let changes = rows.map {
                (
                    image: ImageID($0[0] as Int64), className: Optional(target),
                    status: LabelStatus(rawValue: $0[1]) ?? .validated
                )
            }
            _ = try Self.applyLabels(changes, annotator: annotator, time: time, source: "tui:merge", in: db)
            return changes.count
        }
    }
}
