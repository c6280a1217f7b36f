import Foundation
import GRDB
import PlanktermCore

#if canImport(Glibc)
    import Glibc
#endif

/// A background job (issue "background learning queue"): what to do, and how far it got.
public struct JobRecord: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case pending, running, done, failed, cancelled
    }

    public var id: Int64
    public var kind: String
    public var state: State
    public var progress: Double
    public var message: String
    /// JSON.
    public var parameters: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: String?
    /// "host:pid" of the process running it.
    public var owner: String?
}

extension ProjectStore {
    /// This process as a job owner.
    public static var jobOwner: String { hostName + ":\(getpid())" }

    /// uname's node name (no name service lookup, unlike ProcessInfo.hostName).
    static let hostName: String = {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: names.nodename) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }()

    /// A running job whose owner sent no heartbeat for this long is taken as dead (owners on other hosts).
    public static let jobHeartbeatTimeout: TimeInterval = 120

    /// Queues a job, unless a pending one of the same kind has the same parameters (then returns that one,
    /// the oldest such): the same text, or text that `isSame` accepts (the caller knows what they mean).
    @discardableResult
    public func enqueueJob(
        kind: String, parameters: String = "{}", time: Date,
        isSame: (_ pendingParameters: String) -> Bool = { _ in false }
    ) throws(StoreError) -> Int64 {
        try write { db in
            let pending = try Row.fetchAll(
                db, sql: "SELECT id, parameters FROM job WHERE state = 'pending' AND kind = ? ORDER BY id",
                arguments: [kind])
            for row in pending {
                let text: String = row[1]
                if text == parameters || isSame(text) { return row[0] as Int64 }
            }
            try db.execute(
                sql:
                    "INSERT INTO job (kind, state, parameters, createdAt, message) VALUES (?, 'pending', ?, ?, 'queued')",
                arguments: [kind, parameters, time])
            return db.lastInsertedRowID
        }
    }

    /// Jobs, newest first.
    public func jobs(limit: Int = 100) throws(StoreError) -> [JobRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.job)
        }
    }

    public func job(_ id: Int64) throws(StoreError) -> JobRecord? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Self.job) }
    }

    /// Takes the oldest pending job for `owner`, in one transaction, when no other live process is running
    /// one (one job at a time per project). Jobs left `running` by a process that died are marked failed
    /// first. Returns nil when there is nothing to do or another process is busy.
    public func claimNextJob(owner: String, time: Date) throws(StoreError) -> JobRecord? {
        try write { db in
            for row in try Row.fetchAll(db, sql: "SELECT id, owner, heartbeat FROM job WHERE state = 'running'") {
                let holder: String? = row[1], heartbeat: Date? = row[2]
                if Self.ownerIsAlive(holder, heartbeat: heartbeat, now: time) { return nil }
                try db.execute(
                    sql: """
                        UPDATE job SET state = 'failed', finishedAt = ?, error = ? WHERE id = ?
                        """,
                    arguments: [
                        time,
                        "interrupted: its process (\(holder ?? "unknown")) ended before it finished; "
                            + "the previous model stayed current", row[0] as Int64
                    ])
            }
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM job WHERE state = 'pending' ORDER BY id LIMIT 1")
            else {
                return nil
            }
            try db.execute(
                sql: """
                    UPDATE job SET state = 'running', owner = ?, startedAt = ?, heartbeat = ?, progress = 0, message = 'starting'
                    WHERE id = ?
                    """, arguments: [owner, time, time, id])
            return try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Self.job)
        }
    }

    /// Records progress (and the heartbeat). Returns false when the job was cancelled meanwhile.
    @discardableResult
    public func updateJob(_ id: Int64, progress: Double, message: String, time: Date) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(
                sql: "UPDATE job SET progress = ?, message = ?, heartbeat = ? WHERE id = ? AND state = 'running'",
                arguments: [progress, message, time, id])
            return db.changesCount > 0
        }
    }

    /// Ends a running job.
    public func finishJob(_ id: Int64, state: JobRecord.State, message: String, error: String? = nil, time: Date)
        throws(StoreError)
    {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE job SET state = ?, message = ?, error = ?, finishedAt = ?, progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END
                    WHERE id = ? AND state IN ('running', 'pending')
                    """, arguments: [state.rawValue, message, error, time, state.rawValue, id])
        }
    }

    /// Cancels a pending job at once, a running one at its next progress report. False when it had ended.
    @discardableResult
    public func cancelJob(_ id: Int64, time: Date) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE job SET state = 'cancelled', finishedAt = ?, message = 'cancelled' WHERE id = ? AND state IN ('pending', 'running')
                    """, arguments: [time, id])
            return db.changesCount > 0
        }
    }

    /// Queues a job again with the same kind and parameters.
    public func retryJob(_ id: Int64, time: Date) throws(StoreError) -> Int64? {
        guard let job = try job(id) else { return nil }
        return try enqueueJob(kind: job.kind, parameters: job.parameters, time: time)
    }

    static func ownerIsAlive(_ owner: String?, heartbeat: Date?, now: Date) -> Bool {
        guard let owner, let colon = owner.lastIndex(of: ":"), let pid = Int32(owner[owner.index(after: colon)...])
        else { return false }
        let host = String(owner[..<colon])
        if host == hostName {
            return kill(pid, 0) == 0 || errno == EPERM
        }
        return heartbeat.map { now.timeIntervalSince($0) < jobHeartbeatTimeout } ?? false
    }

    static func job(_ row: Row) -> JobRecord {
        JobRecord(
            id: row["id"], kind: row["kind"], state: JobRecord.State(rawValue: row["state"]) ?? .failed,
            progress: row["progress"], message: row["message"] ?? "", parameters: row["parameters"],
            createdAt: row["createdAt"], startedAt: row["startedAt"], finishedAt: row["finishedAt"],
            error: row["error"], owner: row["owner"])
    }
}
