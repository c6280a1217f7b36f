import Foundation
import PlanktermCore
import Testing

@testable import Store

@Suite struct ClassTests {
    @Test func renameKeepsLabelsAndRefusesAnExistingName() throws {
        let (store, images, dir) = try storeWithImages(3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try store.applyLabels(images, className: "copepd", status: .validated, annotator: "ana", time: Date())
        try store.addClass("diatom", time: Date())
        #expect(try store.classCounts().map(\.name) == ["copepd", "diatom"])
        try store.renameClass("copepd", to: "copepod")
        #expect(try store.currentLabels().map(\.className) == ["copepod", "copepod", "copepod"])
        #expect(throws: StoreError.self) { try store.renameClass("copepod", to: "diatom") }
        #expect(throws: StoreError.self) { try store.renameClass("nothing", to: "x") }
        #expect(throws: StoreError.self) { try store.addClass("  ", time: Date()) }
        let counts = try store.classCounts()
        #expect(counts.first { $0.name == "copepod" }?.validated == 3)
        #expect(counts.first { $0.name == "diatom" }?.validated == 0)
    }

    @Test func mergeMovesEveryLabelKeepingItsStatusAndOneUndoTakesItBack() throws {
        let (store, images, dir) = try storeWithImages(4)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try store.applyLabel(images[0], className: "calanoid", status: .validated, annotator: "ana", time: Date())
        try store.applyLabel(images[1], className: "calanoid", status: .dubious, annotator: "ana", time: Date())
        try store.applyLabel(images[2], className: "copepod", status: .validated, annotator: "ana", time: Date())
        #expect(try store.mergeClass("calanoid", into: "copepod", annotator: "bo", time: Date()) == 2)
        let after = try store.currentLabels().sorted { $0.imageID.rawValue < $1.imageID.rawValue }
        #expect(after.map(\.className) == ["copepod", "copepod", "copepod"])
        #expect(after.map(\.status) == [.validated, .dubious, .validated])
        // The history keeps what was there; one undo restores both.
        #expect(try store.history(of: images[0]).count == 2)
        #expect(try store.undoLastBatch(annotator: "bo", time: Date()).count == 2)
        let undone = try store.currentLabels().sorted { $0.imageID.rawValue < $1.imageID.rawValue }
        #expect(undone.map(\.className) == ["calanoid", "calanoid", "copepod"])
        #expect(throws: StoreError.self) {
            try store.mergeClass("copepod", into: "copepod", annotator: "bo", time: Date())
        }
    }

    @Test func aPageValidatedWithOneClassEachIsOneUndo() throws {
        let (store, images, dir) = try storeWithImages(3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try store.applyLabels(
            [(images[0], "a"), (images[1], "b"), (images[2], "a")], status: .validated, annotator: "ana", time: Date())
        #expect(Set(try store.currentLabels().map(\.className)) == ["a", "b"])
        #expect(try store.undoLastBatch(annotator: "ana", time: Date()).map(\.imageID) == images)
        #expect(try store.currentLabels().isEmpty)
    }
}

@Suite struct JobTests {
    @Test func oneJobRunsAtATimeAndAPendingDuplicateIsNotQueuedTwice() throws {
        let (store, _, dir) = try storeWithImages(1)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try store.enqueueJob(kind: "train", parameters: "{\"head\":\"linear\"}", time: Date())
        #expect(try store.enqueueJob(kind: "train", parameters: "{\"head\":\"linear\"}", time: Date()) == first)
        // Other parameters are another job, unless the caller says they mean the same.
        let knn = try store.enqueueJob(kind: "train", parameters: "{\"head\":\"knn\"}", time: Date())
        #expect(knn != first)
        #expect(
            try store.enqueueJob(kind: "train", parameters: "{\"head\":\"knn\",\"reason\":\"x\"}", time: Date()) {
                $0 == "{\"head\":\"knn\"}"
            } == knn)
        #expect(try store.cancelJob(knn, time: Date()))
        let claimed = try store.claimNextJob(owner: ProjectStore.jobOwner, time: Date())
        #expect(claimed?.id == first && claimed?.state == .running)
        let second = try store.enqueueJob(kind: "train", time: Date())
        #expect(second != first)
        // This process is alive and holds a running job: nobody else may start one.
        #expect(try store.claimNextJob(owner: "elsewhere:1", time: Date()) == nil)
        #expect(try store.updateJob(first, progress: 0.5, message: "half", time: Date()))
        try store.finishJob(first, state: .done, message: "ok", time: Date())
        #expect(try store.job(first)?.progress == 1)
        #expect(try store.claimNextJob(owner: "elsewhere:1", time: Date())?.id == second)
    }

    @Test func aJobWhoseProcessDiedIsMarkedFailedByTheNextClaim() throws {
        let (store, _, dir) = try storeWithImages(1)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try store.enqueueJob(kind: "train", time: Date())
        // A process of this host that no longer exists (pid 2^22 + 1 is above Linux's pid_max default).
        _ = try store.claimNextJob(owner: ProjectStore.hostName + ":4194305", time: Date())
        let next = try store.enqueueJob(kind: "train", time: Date())
        #expect(try store.claimNextJob(owner: ProjectStore.jobOwner, time: Date())?.id == next)
        let dead = try store.job(id)
        #expect(dead?.state == .failed && dead?.error?.contains("interrupted") == true)
        // Another host's job counts as alive while its heartbeat is recent, dead after the timeout.
        #expect(!ProjectStore.ownerIsAlive("otherhost:12", heartbeat: Date(timeIntervalSinceNow: -300), now: Date()))
        #expect(ProjectStore.ownerIsAlive("otherhost:12", heartbeat: Date(timeIntervalSinceNow: -5), now: Date()))
    }

    @Test func cancellingStopsARunningJobAtItsNextReportAndRetryQueuesItAgain() throws {
        let (store, _, dir) = try storeWithImages(1)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try store.enqueueJob(kind: "train", parameters: "{\"head\":\"knn\"}", time: Date())
        _ = try store.claimNextJob(owner: ProjectStore.jobOwner, time: Date())
        #expect(try store.cancelJob(id, time: Date()))
        #expect(try store.updateJob(id, progress: 0.3, message: "x", time: Date()) == false)
        #expect(try store.cancelJob(id, time: Date()) == false)
        let again = try store.retryJob(id, time: Date())
        #expect(again != nil && again != id)
        #expect(try store.job(again!)?.parameters == "{\"head\":\"knn\"}")
        #expect(try store.job(again!)?.state == .pending)
    }
}
