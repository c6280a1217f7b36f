import Foundation
import GRDB
import PlanktermCore
import Store
import Testing

/// A record as a caller of the store keeps one (Project's parameters are of this kind).
private struct Settings: Codable, Sendable, Equatable {
    var name: String
    var loss: Double
    var sizes: [Int]
    var note: String?
}

@Suite("Model parameters and metrics stored as JSON, read as typed records")
struct StoredRecordTests {
    @Test("rows written as the previous code wrote them (raw SQL, JSON text) read with every field")
    func previousRowsRead() throws {
        let (store, dir) = try makeStore(images: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The schema is unchanged: the v1 model table, with parameters and metrics as TEXT.
        let queue = try DatabaseQueue(path: ProjectStore.databasePath(in: dir))
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO model (id, kind, createdAt, parameters) VALUES (?, 'encoder', ?, ?)",
                arguments: ["e1", Date(timeIntervalSince1970: 10), #"{"loss":"nan","name":"a","sizes":[1,2]}"#])
            try db.execute(
                sql: "INSERT INTO model (id, kind, createdAt, parameters) VALUES (?, 'encoder', ?, ?)",
                arguments: ["e2", Date(timeIntervalSince1970: 20), #"{"loss":0.5,"name":"b","note":"x","sizes":[]}"#])
            try db.execute(
                sql: "INSERT INTO model (id, kind, createdAt, parameters) VALUES (?, 'encoder', ?, ?)",
                arguments: ["e3", Date(timeIntervalSince1970: 30), "{}"])
            try db.execute(
                sql: """
                    INSERT INTO model (id, kind, createdAt, parameters, metrics) VALUES (?, 'classifier', ?, ?, ?)
                    """,
                arguments: [
                    "c1", Date(timeIntervalSince1970: 40), #"{"loss":"inf","name":"c","sizes":[3]}"#,
                    #"{"loss":1.25,"name":"m","sizes":[4,5]}"#
                ])
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('currentModel', 'c1')")
        }
        let encoders = try store.models(kind: "encoder", parameters: Settings.self)
        #expect(encoders.map(\.id) == ["e3", "e2", "e1"])
        #expect(try encoders[1].parameters.get() == Settings(name: "b", loss: 0.5, sizes: [], note: "x"))
        let first = try encoders[2].parameters.get()
        #expect(first.name == "a" && first.loss.isNaN && first.sizes == [1, 2] && first.note == nil)
        guard case .failure(.unreadableRecord(let model, let column, _)) = encoders[0].parameters else {
            Issue.record("an object without the record's fields read as one")
            return
        }
        #expect(model == "e3" && column == "parameters")
        let current = try #require(try store.currentClassifier(parameters: Settings.self, metrics: Settings.self))
        #expect(current.id == "c1" && current.createdAt == Date(timeIntervalSince1970: 40))
        #expect(try current.parameters.get() == Settings(name: "c", loss: .infinity, sizes: [3]))
        #expect(try current.metrics.get() == Settings(name: "m", loss: 1.25, sizes: [4, 5]))
        #expect(try store.classifiers(parameters: Settings.self, metrics: Settings.self).map(\.id) == ["c1"])
    }

    @Test("a typed record is stored as that JSON text: sorted keys, non-finite numbers as strings")
    func recordsAreStoredAsBefore() throws {
        let (store, dir) = try makeStore(images: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try store.registerModel(
            id: "e1", kind: "encoder", parameters: Settings(name: "a", loss: -.infinity, sizes: [1]),
            createdAt: Date())
        try store.installClassifier(
            id: "c1", parameters: Settings(name: "p", loss: 2, sizes: [], note: "n"),
            metrics: Settings(name: "m", loss: .nan, sizes: [7]), createdAt: Date(), predictions: [])
        let queue = try DatabaseQueue(path: ProjectStore.databasePath(in: dir))
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, parameters, metrics FROM model ORDER BY id")
                .map { [$0[0] as String, $0[1] as String, $0[2] as String] }
        }
        #expect(
            rows == [
                ["c1", #"{"loss":2,"name":"p","note":"n","sizes":[]}"#, #"{"loss":"nan","name":"m","sizes":[7]}"#],
                ["e1", #"{"loss":"-inf","name":"a","sizes":[1]}"#, "{}"]
            ])
        // A rewrite happens only while the stored parameters are still the expected ones.
        let stored = Settings(name: "p", loss: 2, sizes: [], note: "n"), next = Settings(name: "q", loss: 3, sizes: [])
        #expect(try store.rewriteCalls(model: "c1", expected: next, parameters: stored, calls: []) == false)
        #expect(try store.rewriteCalls(model: "c1", expected: stored, parameters: next, calls: []))
        #expect(
            try store.currentClassifier(parameters: Settings.self, metrics: Settings.self)?.parameters.get() == next)
    }
}
