import Foundation
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

@Suite("ProjectHandle: what the commands do with a project")
struct ProjectHandleTests {
    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test("deleting old model versions removes their rows, predictions and files, never the current one's")
    func deleteOldModelsRemovesRowsAndFiles() throws {
        let (images, store, truth) = try projectWithClusters(60)
        defer { images.remove() }
        try label(store, truth, perClass: 6)
        let project = ProjectHandle(store: store)
        var ids: [String] = []
        for seed in 1...3 {
            ids.append(
                try ClassifierRun(project: project).train(ClassifierSettings(head: .knn, seed: UInt64(seed), folds: 2))
                    .modelId)
        }
        let posteriors = { (id: String) in store.directory + "/" + ClassifierRun.posteriorsFile(modelId: id) }
        let report = { (id: String) in ModelChangeReport.file(project: store.directory, modelId: id) }
        for id in ids where !exists(report(id)) { try Data("{}".utf8).write(to: URL(fileURLWithPath: report(id))) }
        #expect(ids.allSatisfy { exists(posteriors($0)) })

        try project.makeCurrent(model: ids[0])
        #expect(try project.deleteOldModels(keep: 1) == [ids[1]])
        #expect(try project.modelVersions().map(\.id) == [ids[2], ids[0]])
        #expect(try project.modelVersions().map(\.isCurrent) == [false, true])
        #expect(try project.currentModel()?.id == ids[0])
        #expect(try store.predictions(model: ids[1]).isEmpty)
        #expect(try store.predictions(model: ids[0]).count == 60)
        #expect(!exists(posteriors(ids[1])) && !exists(report(ids[1])))
        #expect(
            exists(posteriors(ids[0])) && exists(report(ids[0])) && exists(posteriors(ids[2])) && exists(report(ids[2]))
        )
        // Keeping one when only the current one is older than the newest: nothing more to delete.
        #expect(try project.deleteOldModels(keep: 1) == [])
    }

    @Test("model versions carry their parameters; the current one is marked")
    func modelVersions() throws {
        let (images, store, truth) = try projectWithClusters(60)
        defer { images.remove() }
        let project = ProjectHandle(store: store)
        #expect(try project.modelVersions().isEmpty && project.currentModel() == nil && project.currentModelId() == nil)
        try label(store, truth, perClass: 6)
        let id = try ClassifierRun(project: project).train(ClassifierSettings(head: .knn, seed: 1, folds: 2)).modelId
        let version = try #require(try project.currentModel())
        #expect(version.id == id && version.isCurrent && version.parameters?.head == .knn)
        #expect(version.parameters?.classIds.count == 3 && version.parameters?.counts.reduce(0, +) == 18)
        #expect(try project.currentModelId() == id)
        #expect(throws: StoreError.self) { try project.makeCurrent(model: "no-such-model") }
    }

    @Test("the images folder is recorded at create and can be changed; a project without one says so")
    func imagesRoot() throws {
        let folder = try TemporaryDirectory("plankterm-handle")
        defer { folder.remove() }
        #expect(!ProjectHandle.exists(at: folder.path + "/p"))
        let project = try ProjectHandle.create(at: folder.path + "/p", imagesRoot: "/data/images")
        #expect(ProjectHandle.exists(at: folder.path + "/p"))
        #expect(try ProjectHandle.open(at: folder.path + "/p").imagesRoot() == "/data/images")
        try project.setImagesRoot("/moved/images")
        #expect(try project.imagesRoot() == "/moved/images")
        let bare = ProjectHandle(store: try ProjectStore.create(at: folder.path + "/q"))
        #expect(throws: ProjectError.self) { try bare.imagesRoot() }
        #expect(throws: StoreError.self) { try ProjectHandle.open(at: folder.path + "/none") }
    }

    @Test("a label names its image by path; '-' is a withdrawal (nil); an unknown path is refused")
    func labelByPath() throws {
        let (images, store, _) = try projectWithClusters(6)
        defer { images.remove() }
        let project = ProjectHandle(store: store)
        let path = try #require(try store.usableImages().first?.path)
        try project.label(image: path, className: "copepod", status: .validated, annotator: "ann", source: "cli")
        let id = try #require(try project.imageID(path: path))
        #expect(try project.currentLabelTexts()[id] == "copepod (validated)")
        #expect(try project.validatedLabelCount().images == 1 && project.validatedLabelCount().classes == 1)
        try project.label(image: path, className: nil, status: .validated, annotator: "ann", source: "cli")
        #expect(try project.currentLabelTexts()[id] == nil)
        #expect(throws: StoreError.self) {
            try project.label(image: "no/such.png", className: "x", status: .validated, annotator: "ann", source: "cli")
        }
    }

    @Test("seeding from folders labels N images of each top-level folder, the same ones for the same seed")
    func seedFromFolders() throws {
        let (images, store, _) = try projectWithClusters(20)
        defer { images.remove() }
        let project = ProjectHandle(store: store)
        #expect(try project.seedLabelsFromFolders(perFolder: 3, seed: 7, annotator: "demo-seed", source: "demo") == 6)
        let labels = try store.currentLabels()
        #expect(labels.count == 6 && Set(labels.map(\.className)) == ["a", "b"])
        #expect(labels.allSatisfy { $0.status == .validated })
        #expect(try project.validatedLabelCount().images == 6 && project.validatedLabelCount().classes == 2)

        let (other, again, _) = try projectWithClusters(20)
        defer { other.remove() }
        _ = try ProjectHandle(store: again).seedLabelsFromFolders(
            perFolder: 3, seed: 7, annotator: "demo-seed", source: "demo")
        let paths = { (s: ProjectStore) in
            Set(try s.currentLabels().map { label in try s.usableImages().first { $0.id == label.imageID }!.path })
        }
        #expect(try paths(store) == paths(again))
    }

    @Test("a job the screen was running when it closed is failed and queued again; jobs read as the screen shows them")
    func requeueInterruptedJob() throws {
        let folder = try TemporaryDirectory("plankterm-handle-jobs")
        defer { folder.remove() }
        let project = try ProjectHandle.create(at: folder.path + "/p", imagesRoot: folder.path)
        let store = try ProjectStore.open(at: folder.path + "/p")
        #expect(try project.runningJob() == nil)
        let first = try project.enqueue(.embed)
        #expect(try project.jobViews().map(\.state) == ["pending"])
        #expect(try project.jobs().first?.statusLine == "embed queued")
        #expect(try project.hasUnfinishedJob(.embed) && !project.hasUnfinishedJob(.train))
        let claimed = try #require(try store.claimNextJob(owner: "screen", time: Date()))
        #expect(try claimed.id == first && project.runningJob()?.id == first)
        let again = try #require(try project.requeueInterrupted(job: first, reason: "the screen closed"))
        #expect(again != first)
        let jobs = try project.jobs()
        #expect(jobs.map(\.id) == [again, first])
        #expect(jobs[1].state == .failed && jobs[1].statusLine == "embed failed · the screen closed")
        #expect(try project.jobViews().map(\.state) == ["pending", "failed"])
        #expect(try project.runningJob() == nil)
        #expect(try project.cancelJob(again))
        #expect(try project.jobs().first?.statusLine == "embed cancelled")
        #expect(try !project.hasUnfinishedJob(.embed))
    }

    @Test("errors of the project and of its database are worded for people; others are not")
    func errorWording() {
        #expect(ProjectError.wording(of: StoreError.unknownImage("x.png"))?.message == "no image x.png in this project")
        #expect(ProjectError.wording(of: ProjectError.noImagesFolder(project: "/p")) != nil)
        #expect(ProjectError.wording(of: CocoaError(.fileNoSuchFile)) == nil)
    }
}
