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
    public func applyLabel(
        _ image: ImageID, className: String?, status: LabelStatus, annotator: String,
        time: Date, source: String = "tui"
    ) throws(StoreError) -> LabelAction {
        try applyLabels(
            [image], className: className, status: status, annotator: annotator, time: time, source: source)[0]
    }

    /// Labels several images with one class as one keystroke (a bulk assignment), in one transaction;
    /// undo and redo take the whole batch. `className` nil withdraws the labels.
    @discardableResult
    public func applyLabels(
        _ images: [ImageID], className: String?, status: LabelStatus, annotator: String,
        time: Date, source: String = "tui"
    ) throws(StoreError) -> [LabelAction] {
        try applyLabels(
            images.map { ($0, className) }, status: status, annotator: annotator, time: time, source: source)
    }

    /// Gives each image its own class (validating a page of predictions, each with its own top class),
    /// in one transaction and as one undoable batch.
    @discardableResult
    public func applyLabels(
        _ changes: [(image: ImageID, className: String?)], status: LabelStatus, annotator: String,
        time: Date, source: String = "tui"
    ) throws(StoreError) -> [LabelAction] {
        try write { db in
            try Self.applyLabels(
                changes.map { ($0.image, $0.className, status) }, annotator: annotator, time: time,
                source: source, in: db)
        }
    }

    /// The one path of every labeling action: annotations, and undo records as one batch.
    static func applyLabels(
        _ changes: [(image: ImageID, className: String?, status: LabelStatus)], annotator: String,
        time: Date, source: String, in db: Database
    ) throws -> [LabelAction] {
        try db.execute(sql: "DELETE FROM labelAction WHERE undone = 1")
        var actions: [LabelAction] = []
        var batch: Int64?
        for (image, className, status) in changes {
            let before = try Self.currentLabel(of: image, in: db)
            _ = try Self.append(
                [
                    AnnotationDraft(
                        imageID: image, className: className, status: status,
                        annotator: annotator, time: time, source: source)
                ], in: db)
            try db.execute(
                sql: """
                    INSERT INTO labelAction (imageId, beforeClass, beforeStatus, afterClass, afterStatus, annotator, time, batch)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    image.rawValue, before?.0, before?.1.rawValue, className, status.rawValue, annotator,
                    time, batch
                ])
            let id = db.lastInsertedRowID
            if batch == nil && changes.count > 1 {  // a single action has no batch
                batch = id
                try db.execute(sql: "UPDATE labelAction SET batch = ? WHERE id = ?", arguments: [id, id])
            }
            actions.append(LabelAction(id: id, imageID: image, before: before, after: className.map { ($0, status) }))
        }
        return actions
    }

    /// Undoes the latest action (or batch) not yet undone, across restarts; returns the first action of
    /// the batch, or nil when there is nothing to undo.
    @discardableResult
    public func undoLastLabel(annotator: String, time: Date) throws(StoreError) -> LabelAction? {
        try undoLastBatch(annotator: annotator, time: time).first
    }

    /// Undoes the latest action or batch; returns all its actions, oldest first (empty: nothing to undo).
    public func undoLastBatch(annotator: String, time: Date) throws(StoreError) -> [LabelAction] {
        try write { db in try Self.replayNextBatch(undo: true, annotator: annotator, time: time, in: db) }
    }

    /// Redoes the earliest undone action (or batch); returns its first action, or nil when there is none.
    @discardableResult
    public func redoLabel(annotator: String, time: Date) throws(StoreError) -> LabelAction? {
        try redoBatch(annotator: annotator, time: time).first
    }

    /// Redoes the earliest undone action or batch; returns all its actions, oldest first.
    public func redoBatch(annotator: String, time: Date) throws(StoreError) -> [LabelAction] {
        try write { db in try Self.replayNextBatch(undo: false, annotator: annotator, time: time, in: db) }
    }

    /// The current (non-predicted) label of one image, if any.
    public func currentLabel(of image: ImageID) throws(StoreError) -> (className: String, status: LabelStatus)? {
        try read { db in try Self.currentLabel(of: image, in: db).map { (className: $0.0, status: $0.1) } }
    }

    /// Undo: the latest batch still done, newest action first. Redo: the earliest undone batch, oldest
    /// first. Returns the batch's actions, oldest first.
    static func replayNextBatch(undo: Bool, annotator: String, time: Date, in db: Database) throws -> [LabelAction] {
        let state = undo ? 0 : 1, order = undo ? "DESC" : "ASC"
        guard
            let next = try Row.fetchOne(
                db, sql: "SELECT id, batch FROM labelAction WHERE undone = ? ORDER BY id \(order) LIMIT 1",
                arguments: [state])
        else { return [] }
        let batch: Int64? = next[1]
        let actions = try Row.fetchAll(
            db,
            sql: """
                SELECT id, imageId, beforeClass, beforeStatus, afterClass, afterStatus FROM labelAction
                WHERE undone = ? AND (id = ? OR (batch IS NOT NULL AND batch = ?)) ORDER BY id \(order)
                """, arguments: [state, next[0] as Int64, batch]
        ).map(Self.action)
        try replay(actions, undo: undo, annotator: annotator, time: time, in: db)
        return actions.sorted { $0.id < $1.id }
    }

    /// Appends the annotations that undo (restore `before`) or redo (restore `after`) `actions`, and
    /// marks them.
    static func replay(_ actions: [LabelAction], undo: Bool, annotator: String, time: Date, in db: Database) throws {
        for action in actions {
            let target = undo ? action.before : action.after
            _ = try append(
                [
                    AnnotationDraft(
                        imageID: action.imageID, className: target?.className,
                        status: target?.status ?? .validated, annotator: annotator, time: time,
                        source: undo ? "tui:undo" : "tui:redo")
                ], in: db)
            try db.execute(sql: "UPDATE labelAction SET undone = ? WHERE id = ?", arguments: [undo ? 1 : 0, action.id])
        }
    }

    static func action(_ row: Row) -> LabelAction {
        let beforeClass: String? = row[2], beforeStatus: String? = row[3], afterClass: String? = row[4]
        let afterStatus: String = row[5]
        return LabelAction(
            id: row[0], imageID: ImageID(row[1] as Int64),
            before: beforeClass.map { ($0, LabelStatus(rawValue: beforeStatus ?? "") ?? .validated) },
            after: afterClass.map { ($0, LabelStatus(rawValue: afterStatus) ?? .validated) })
    }

    static func currentLabel(of image: ImageID, in db: Database) throws -> (String, LabelStatus)? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT c.name, l.status FROM currentLabel l JOIN class c ON c.id = l.classId WHERE l.imageId = ?
                """, arguments: [image.rawValue]
        ).map { ($0[0], LabelStatus(rawValue: $0[1]) ?? .validated) }
    }
}
