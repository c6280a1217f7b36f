import Foundation
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

@Suite("What changed between two models")
struct ModelChangeReportTests {
    @Test("the report counts changed predictions and disagreeing labels against the model it replaces")
    func reportComparesWithThePreviousModel() throws {
        let (images, store, truth) = try projectWithClusters(90)
        defer { images.remove() }
        // First model: only 2 labels a class, one of them wrong on purpose.
        try label(store, truth, perClass: 2)
        let first = try ClassifierRun(store: store).train(ClassifierSettings(head: .knn, seed: 1, folds: 2))
        let firstReport = try #require(try ModelChangeReport.load(project: store.directory, modelId: first.modelId))
        #expect(firstReport.previousModelId == nil && firstReport.disagreementsBefore == nil)
        #expect(firstReport.predictionsChanged == 0 && firstReport.imagesPredicted == 90)

        try label(store, truth, perClass: 12)
        let wrong = truth.sorted { $0.key.rawValue < $1.key.rawValue }.last { $0.value == 0 }!.key
        try store.applyLabel(wrong, className: "diatom", status: .validated, annotator: "t", time: Date())
        let second = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear, seed: 1, folds: 3))
        let report = try #require(try ModelChangeReport.load(project: store.directory, modelId: second.modelId))
        #expect(report.previousModelId == first.modelId)

        // Recount from the two models' predictions.
        let old = try store.predictions(model: first.modelId), new = try store.predictions(model: second.modelId)
        let validated = try store.validatedLabels()
        let changed = new.values.filter { validated[$0.imageID] == nil && old[$0.imageID]?.classID != $0.classID }
        #expect(report.predictionsChanged == changed.count)
        #expect(Set(report.changedImages) == Set(changed.map(\.imageID.rawValue)))
        // Least confident first.
        let confidences = report.changedImages.map { new[ImageID($0)]!.confidence }
        #expect(confidences == confidences.sorted())
        let disagreeing = validated.filter { new[$0.key]!.classID != $0.value }
        #expect(report.disagreementsAfter == disagreeing.count && report.disagreementsAfter >= 1)
        #expect(report.disagreeingImages.contains(wrong.rawValue))
        #expect(report.eceAfter != nil && report.balancedAccuracyAfter != nil && report.eceBefore != nil)
        let unlabelledAfter = report.classes.reduce(0) { $0 + $1.after }
        #expect(unlabelledAfter <= 90 - validated.count)
        #expect(report.summary.contains("\(report.predictionsChanged) predictions changed"))
    }
}
