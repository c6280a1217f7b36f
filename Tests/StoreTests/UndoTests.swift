import Foundation
import PlanktermCore
import Testing

@testable import Store

/// A project in a temporary folder with images img0.png … img<n-1>.png; returns the store, the image
/// ids in order, and the folder to remove.
func storeWithImages(_ n: Int) throws -> (ProjectStore, [ImageID], String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("undo-\(UUID().uuidString)").path
    let store = try ProjectStore.create(at: dir)
    try store.saveImages(
        inserting: (0..<n).map { ImageFacts(path: "img\($0).png", hash: "h\($0)", byteSize: 1, modifiedAt: 0) },
        importedAt: Date())
    let ids = try store.imageIDs()
    return (store, (0..<n).map { ids["img\($0).png"]! }, dir)
}

@Suite struct UndoTests {
    @Test func undoAndRedoRestoreLabelsThroughTheAppendOnlyHistoryAndSurviveReopening() throws {
        var (store, images, dir) = try storeWithImages(3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = images[0], b = images[1]
        func label(_ id: ImageID) throws -> String? {
            try store.currentLabels().first { $0.imageID == id }.map { "\($0.className)/\($0.status.rawValue)" }
        }
        try store.applyLabel(a, className: "copepod", status: .validated, annotator: "ana", time: Date())
        try store.applyLabel(a, className: "diatom", status: .dubious, annotator: "ana", time: Date())
        try store.applyLabel(b, className: "copepod", status: .validated, annotator: "ana", time: Date())
        #expect(try label(a) == "diatom/dubious")

        // Reopen: the undo stack is in the database.
        store = try ProjectStore.open(at: dir)
        #expect(try store.undoLastLabel(annotator: "ana", time: Date())?.imageID == b)
        #expect(try label(b) == nil)
        #expect(try store.undoLastLabel(annotator: "ana", time: Date())?.imageID == a)
        #expect(try label(a) == "copepod/validated")
        #expect(try store.redoLabel(annotator: "ana", time: Date())?.imageID == a)
        #expect(try label(a) == "diatom/dubious")
        // A new action forgets what is left to redo.
        try store.applyLabel(a, className: "nauplius", status: .validated, annotator: "ana", time: Date())
        #expect(try store.redoLabel(annotator: "ana", time: Date()) == nil)
        for _ in 0..<4 { try store.undoLastLabel(annotator: "ana", time: Date()) }
        #expect(try label(a) == nil && label(b) == nil)
        #expect(try store.undoLastLabel(annotator: "ana", time: Date()) == nil)
        // Every step is in the history: 4 actions, 5 undos (b's undone action was forgotten by the new
        // action, so the loop's 4th undo finds nothing) and 1 redo.
        #expect(try store.summary().annotations == 10)
    }
}

@Suite struct BatchUndoTests {
    @Test func aBulkAssignmentIsUndoneAndRedoneAsOne() throws {
        let (store, images, dir) = try storeWithImages(4)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try store.applyLabel(images[0], className: "copepod", status: .validated, annotator: "a", time: Date())
        let actions = try store.applyLabels(
            Array(images[1...3]), className: "diatom", status: .validated, annotator: "a", time: Date())
        #expect(actions.count == 3)
        func count(_ name: String) throws -> Int { try store.currentLabels().filter { $0.className == name }.count }
        #expect(try count("diatom") == 3)
        #expect(try store.undoLastLabel(annotator: "a", time: Date())?.imageID == images[1])
        #expect(try count("diatom") == 0 && count("copepod") == 1)
        #expect(try store.redoLabel(annotator: "a", time: Date())?.imageID == images[1])
        #expect(try count("diatom") == 3)
        try store.undoLastLabel(annotator: "a", time: Date())
        try store.undoLastLabel(annotator: "a", time: Date())
        #expect(try store.currentLabels().isEmpty)
    }
}
