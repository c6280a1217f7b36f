import Foundation
import GRDB
import PlanktermCore
import Store
import Testing

/// A fresh project in a temporary folder with `images` images named img0.png, img1.png, …
func makeStore(images: Int = 3) throws -> (ProjectStore, String) {
    let dir = NSTemporaryDirectory() + "plankterm-store-\(UUID().uuidString.prefix(8))"
    let store = try ProjectStore.create(at: dir)
    let facts = (0..<images).map {
        ImageFacts(
            path: "img\($0).png", hash: "h\($0)", byteSize: 100, modifiedAt: 1, format: "png", width: 10,
            height: 10, channels: 1, bitDepth: 8, sourceColor: "gray")
    }
    try store.saveImages(inserting: facts, importedAt: Date())
    return (store, dir)
}

func draft(_ id: ImageID, _ name: String?, _ status: LabelStatus = .validated, source: String = "cli")
    -> AnnotationDraft
{
    AnnotationDraft(imageID: id, className: name, status: status, annotator: "tester", time: Date(), source: source)
}

@Suite("The project database")
struct ProjectStoreTests {
    @Test("a project is created once, in WAL mode, and opens again")
    func createAndOpen() throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try store.journalMode() == "wal")
        #expect(throws: StoreError.self) { try ProjectStore.create(at: dir) }
        let again = try ProjectStore.open(at: dir)
        #expect(try again.summary().images == 3)
        #expect(try again.meta("projectId") != nil)
        #expect(throws: StoreError.self) { try ProjectStore.open(at: dir + "-nothing") }
    }

    @Test("the annotation history refuses updates and deletes")
    func appendOnly() throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try #require(try store.imageID(path: "img0.png"))
        try store.append([draft(id, "copepod")])
        #expect(throws: StoreError.self) {
            try store.write { db in try db.execute(sql: "UPDATE annotation SET annotator = 'mallory'") }
        }
        #expect(throws: StoreError.self) { try store.write { db in try db.execute(sql: "DELETE FROM annotation") } }
        #expect(try store.history(of: id).map(\.annotator) == ["tester"])
    }

    @Test("the latest label wins, a prediction never replaces an expert's label, '-' withdraws")
    func currentLabel() throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try #require(try store.imageID(path: "img0.png"))
        let b = try #require(try store.imageID(path: "img1.png"))
        try store.append([draft(a, "copepod"), draft(a, "diatom"), draft(b, "diatom", .predicted, source: "model:m1")])
        var labels = try store.currentLabels()
        #expect(labels.map(\.className) == ["diatom", "diatom"])
        try store.append([
            draft(a, "copepod", .predicted, source: "model:m1"), draft(b, "copepod", .predicted, source: "model:m2")
        ])
        labels = try store.currentLabels()
        #expect(labels.first { $0.imageID == a }?.className == "diatom")  // the expert's label stays
        #expect(labels.first { $0.imageID == b }?.className == "copepod")  // a newer prediction replaces one
        try store.append([draft(a, nil)])
        #expect(try store.currentLabels().map(\.imageID) == [b])
        #expect(try store.history(of: a).count == 4)
        let summary = try store.summary()
        #expect(summary.validated == 0 && summary.predicted == 1 && summary.classes == 2)
    }

    @Test("a batch with one bad label writes nothing")
    func transactional() throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try #require(try store.imageID(path: "img0.png"))
        try store.append([draft(a, "copepod")])
        #expect(throws: StoreError.self) {
            try store.append([draft(a, "diatom"), draft(ImageID(999), "diatom")])
        }
        #expect(throws: StoreError.self) { try store.append([draft(a, "\u{01}\u{02}")]) }
        #expect(try store.currentLabels().map(\.className) == ["copepod"])
        #expect(try store.summary().annotations == 1)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("status counts labels per class and status")
    func summary() throws {
        let (store, dir) = try makeStore(images: 4)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try store.imageIDs()
        try store.append([
            draft(ids["img0.png"]!, "a"), draft(ids["img1.png"]!, "a", .dubious),
            draft(ids["img2.png"]!, "b", .predicted)
        ])
        try store.saveImages(
            inserting: [
                ImageFacts(
                    path: "bad.png", hash: nil, byteSize: 0, modifiedAt: 0,
                    failure: "empty file (0 bytes)")
            ], importedAt: Date())
        try store.setMissing([ids["img3.png"]!], missing: true, time: Date())
        let s = try store.summary()
        #expect(s.images == 3 && s.failed == 1 && s.missing == 1)
        #expect(s.validated == 1 && s.dubious == 1 && s.predicted == 1 && s.labeled == 3)
        #expect(
            s.perClass == [
                ClassCount(name: "a", validated: 1, predicted: 0, dubious: 1),
                ClassCount(name: "b", validated: 0, predicted: 1, dubious: 0)
            ])
        #expect(s.failures == [FailedImage(path: "bad.png", reason: "empty file (0 bytes)")])
    }
}
