import Foundation
import GRDB
import PlanktermCore

/// One undoable labeling action.
public struct LabelAction: Sendable, Equatable {
    public var id: Int64
    public var imageID: ImageID
    public var before: (className: String, status: LabelStatus)?
    public var after: (className: String, status: LabelStatus)?

    public static func == (a: LabelAction, b: LabelAction) -> Bool {
        a.id == b.id && a.imageID == b.imageID && a.before?.className == b.before?.className
            && a.before?.status == b.before?.status && a.after?.className == b.after?.className
            && a.after?.status == b.after?.status
    }
}

extension ProjectStore {
    /// Labels one image as a keystroke does, in one transaction: the annotation, and the undo record of
    /// what it replaced (which also forgets the redo stack). `className` nil withdraws the label.
    @discardableResult
    public func applyLabel(_ image: ImageID, className: String?, status: LabelStatus, annotator: String,
                           time: Date, source: String = "tui") throws(StoreError) -> LabelAction {
        try write { db in
            let before = try Self.currentLabel(of: image, in: db)
            _ = try Self.append([AnnotationDraft(imageID: image, className: className, status: status, annotator: annotator,
                                                 time: time, source: source)], in: db)
            try db.execute(sql: "DELETE FROM labelAction WHERE undone = 1")
            try db.execute(sql: """
                INSERT INTO labelAction (imageId, beforeClass, beforeStatus, afterClass, afterStatus, annotator, time)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [image.rawValue, before?.0, before?.1.rawValue, className, status.rawValue, annotator, time])
            return LabelAction(id: db.lastInsertedRowID, imageID: image, before: before,
                               after: className.map { ($0, status) })
        }
    }

    /// Labels several images with one class as one keystroke (a bulk assignment), in one transaction;
    /// undo and redo take the whole batch.
    @discardableResult
    public func applyLabels(_ images: [ImageID], className: String, status: LabelStatus, annotator: String,
                            time: Date, source: String = "tui") throws(StoreError) -> [LabelAction] {
        try write { db in
            try db.execute(sql: "DELETE FROM labelAction WHERE undone = 1")
            var actions: [LabelAction] = []
            var batch: Int64?
            for image in images {
                let before = try Self.currentLabel(of: image, in: db)
                _ = try Self.append([AnnotationDraft(imageID: image, className: className, status: status,
                                                     annotator: annotator, time: time, source: source)], in: db)
                try db.execute(sql: """
                    INSERT INTO labelAction (imageId, beforeClass, beforeStatus, afterClass, afterStatus, annotator, time, batch)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [image.rawValue, before?.0, before?.1.rawValue, className, status.rawValue, annotator,
                                     time, batch])
                let id = db.lastInsertedRowID
                if batch == nil {
                    batch = id
                    try db.execute(sql: "UPDATE labelAction SET batch = ? WHERE id = ?", arguments: [id, id])
                }
                actions.append(LabelAction(id: id, imageID: image, before: before, after: (className, status)))
            }
            return actions
        }
    }

    /// Undoes the latest action (or batch) not yet undone, across restarts; returns the image of its
    /// first action, or nil when there is nothing to undo.
    @discardableResult
    public func undoLastLabel(annotator: String, time: Date) throws(StoreError) -> LabelAction? {
        try write { db in
            guard let last = try Row.fetchOne(db, sql: "SELECT id, batch FROM labelAction WHERE undone = 0 ORDER BY id DESC LIMIT 1") else {
                return nil
            }
            let batch: Int64? = last[1]
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, imageId, beforeClass, beforeStatus, afterClass, afterStatus FROM labelAction
                WHERE undone = 0 AND (id = ? OR (batch IS NOT NULL AND batch = ?)) ORDER BY id DESC
                """, arguments: [last[0] as Int64, batch])
            let actions = rows.map(Self.action)
            try Self.replay(actions, undo: true, annotator: annotator, time: time, in: db)
            return actions.last
        }
    }

    /// Redoes the earliest undone action (or batch); returns its first action, or nil when there is none.
    @discardableResult
    public func redoLabel(annotator: String, time: Date) throws(StoreError) -> LabelAction? {
        try write { db in
            guard let first = try Row.fetchOne(db, sql: "SELECT id, batch FROM labelAction WHERE undone = 1 ORDER BY id ASC LIMIT 1") else {
                return nil
            }
            let batch: Int64? = first[1]
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, imageId, beforeClass, beforeStatus, afterClass, afterStatus FROM labelAction
                WHERE undone = 1 AND (id = ? OR (batch IS NOT NULL AND batch = ?)) ORDER BY id ASC
                """, arguments: [first[0] as Int64, batch])
            let actions = rows.map(Self.action)
            try Self.replay(actions, undo: false, annotator: annotator, time: time, in: db)
            return actions.first
        }
    }

    /// Appends the annotations that undo (restore `before`) or redo (restore `after`) `actions`, and
    /// marks them.
    static func replay(_ actions: [LabelAction], undo: Bool, annotator: String, time: Date, in db: Database) throws {
        for action in actions {
            let target = undo ? action.before : action.after
            _ = try append([AnnotationDraft(imageID: action.imageID, className: target?.className,
                                            status: target?.status ?? .validated, annotator: annotator, time: time,
                                            source: undo ? "tui:undo" : "tui:redo")], in: db)
            try db.execute(sql: "UPDATE labelAction SET undone = ? WHERE id = ?", arguments: [undo ? 1 : 0, action.id])
        }
    }

    static func action(_ row: Row) -> LabelAction {
        let beforeClass: String? = row[2], beforeStatus: String? = row[3], afterClass: String? = row[4]
        let afterStatus: String = row[5]
        return LabelAction(id: row[0], imageID: ImageID(row[1] as Int64),
                           before: beforeClass.map { ($0, LabelStatus(rawValue: beforeStatus ?? "") ?? .validated) },
                           after: afterClass.map { ($0, LabelStatus(rawValue: afterStatus) ?? .validated) })
    }

    static func currentLabel(of image: ImageID, in db: Database) throws -> (String, LabelStatus)? {
        try Row.fetchOne(db, sql: """
            SELECT c.name, l.status FROM currentLabel l JOIN class c ON c.id = l.classId WHERE l.imageId = ?
            """, arguments: [image.rawValue]).map { ($0[0], LabelStatus(rawValue: $0[1]) ?? .validated) }
    }
}
