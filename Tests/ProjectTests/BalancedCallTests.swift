import Foundation
import Labeling
import Learning
import PlanktermCore
import Store
import TestSupport
import Testing

@testable import Project

/// Issue 15: the class a model assigns (its call) is the balanced decision argmax q, while the shown
/// probabilities stay corrected to the sample. Posteriors here are made by hand so that the two differ:
/// 240 images, 216 leaning to copepod (q 0.8) and the last 24 leaning a little to diatom (q 0.55); with
/// the sample's mix (about 3/4 copepod) those 24 are more probably copepods in this sample, but the call
/// is diatom.
@Suite("The call is the balanced decision")
struct BalancedCallProjectTests {
    static let trainPrior = [0.5, 0.5]
    static func posteriors(_ n: Int) -> [Double] { (0..<n).flatMap { $0 < n * 9 / 10 ? [0.8, 0.2] : [0.45, 0.55] } }

    @Test("the stored call is argmax q with its probability in this sample; the top 5 keep the sample's order")
    func recordsStoreTheBalancedCall() throws {
        let q = Self.posteriors(300)
        let set = PredictionSet(posteriors: q, classes: 2, trainPrior: Self.trainPrior)
        let images = (0..<300).map { ImageID(Int64($0 + 1)) }
        let records = ClassifierRun.records(set, classIds: [7, 9], images: images)
        let last = records[299]
        #expect(last.classID == 9 && last.top[0].classID == 7 && last.top[1].classID == 9)
        #expect(abs(last.confidence - set.corrected[299 * 2 + 1]) < 1e-12 && last.confidence < 0.5)
        #expect(last.row == 299 && last.imageID == ImageID(300))
        #expect(records[0].classID == 7 && records[0].top[0].classID == 7)
        // Margin and the others stay under the balanced prior, as the queue scores them.
        #expect(abs(last.margin - 0.1) < 1e-12)
    }

    /// A project whose current model was stored before issue 15: `prediction.classId` is the most
    /// probable class in this sample, its parameters have no `call`.
    static func projectWithAnOldModel() throws -> (TemporaryDirectory, ProjectStore, [ImageID], [Int64]) {
        let (images, store, _) = try projectWithClusters(240)
        try store.addClass("copepod", time: Date())
        try store.addClass("diatom", time: Date())
        let names = try store.classNames()
        let ids = ["copepod", "diatom"].map { name in names.first { $0.value == name }!.key }
        let all = try store.usableImages().map(\.id).sorted { $0.rawValue < $1.rawValue }
        let q = Self.posteriors(all.count)
        let target = PriorShift.meanPosterior(q, classes: 2)
        let shown = Probabilities.shiftPrior(q, classes: 2, train: Self.trainPrior, target: target)
        let file = ClassifierRun.posteriorsFile(modelId: "clf-old")
        let checksum = try ClassifierRun.writeFloats(q, to: store.directory + "/" + file)
        let parameters = ClassifierParameters(
            head: .linear, encoder: "enc-test", classIds: ids, classNames: ["copepod", "diatom"], counts: [10, 10],
            trainPrior: Self.trainPrior, targetPrior: target, targetPriorSource: "mean-posterior", priorCheck: nil,
            calibration: .identity, seed: 0, folds: 5, posteriorsFile: file, posteriorsRows: all.count,
            posteriorsSHA256: checksum)
        #expect(parameters.call == nil)
        let records = all.enumerated().map { i, image in
            let top = shown[i * 2] >= shown[i * 2 + 1] ? [0, 1] : [1, 0]
            let u = Uncertainty(q[(i * 2)..<(i * 2 + 2)])
            return PredictionRecord(
                imageID: image, classID: ids[top[0]], confidence: shown[i * 2 + top[0]],
                top: top.map { (ids[$0], Float(shown[i * 2 + $0])) }, leastConfidence: u.leastConfidence,
                margin: u.margin, entropy: u.entropy, row: i)
        }
        #expect(records.allSatisfy { $0.classID == ids[0] })
        try store.installClassifier(
            id: "clf-old", parameters: parameters, metrics: [String: String](),
            createdAt: Date(), predictions: records)
        return (images, store, all, ids)
    }

    @Test("an older model's calls are rewritten once from its posteriors; the screen, queue and export then agree")
    func olderModelsAreUpgraded() throws {
        let (images, store, all, ids) = try Self.projectWithAnOldModel()
        defer { images.remove() }
        let before = try store.predictions(model: "clf-old")
        let (_, parameters, _, predictions) = try ClassifierRun.current(store: store)
        #expect(parameters.call == ClassifierParameters.balancedCall)
        let upgraded = all.suffix(24)
        for image in all {
            let p = try #require(predictions[image])
            #expect(p.classID == (upgraded.contains(image) ? ids[1] : ids[0]))
            // The confidence is the call's probability in this sample; the shown top 5 are untouched.
            #expect(abs(p.confidence - Double(p.top.first { $0.classID == p.classID }!.probability)) < 1e-6)
            #expect(p.top.map(\.classID) == before[image]!.top.map(\.classID))
        }
        #expect(try ClassifierRun.upgradeCalls(store: store) == false)  // once

        // The labeling screen: the call has its own place, the guesses keep the sample's order.
        let session = try LabelingSession(store: store, imagesRoot: images.path)
        let view = try #require(session.item(all.last!))
        #expect(view.call == "diatom" && view.guesses.first?.name == "copepod")
        #expect(session.gridItems(.predicted("diatom")).count == 24)
        #expect(try store.classCounts().first { $0.name == "diatom" }?.predicted == 24)
        // The queue names the call, and its reason the same class.
        let queue = try ReviewQueue.build(store: store, strategy: .margin, count: 240, randomFraction: 0)
        let item = try #require(queue.first { $0.imageId == all.last!.rawValue })
        #expect(
            item.predicted == "diatom" && item.reason.hasPrefix("close call: diatom at 55 %")
                && item.reason.contains("rare-class view"))

        // Export of predictions: the call.
        let out = images.path + "-calls.csv"
        defer {
            try? FileManager.default.removeItem(atPath: out);
            try? FileManager.default.removeItem(atPath: out + ".provenance.json")
        }
        _ = try Exporter(store: store, imagesRoot: images.path).run(
            ExportOptions(format: .csv, output: out, statuses: [.predicted]))
        let exported = try LabelFile.read(path: out).records
        #expect(exported.count == 240)
        #expect(exported.filter { $0.className == "diatom" }.count == 24)
    }

    @Test("an older model whose posteriors file is damaged is not upgraded: refused, nothing written")
    func damagedFileIsNotUpgraded() throws {
        let (images, store, _, _) = try Self.projectWithAnOldModel()
        defer { images.remove() }
        let record = try #require(try store.currentClassifier())
        let path = store.directory + "/" + ClassifierRun.posteriorsFile(modelId: record.id)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[0] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        let before = try store.predictions(model: record.id)
        #expect(throws: ProjectError.self) { try ClassifierRun.upgradeCalls(store: store) }
        #expect(try store.currentClassifier()?.parameters.get() == record.parameters.get())
        #expect(try store.predictions(model: record.id) == before)
    }

    @Test("eval scores the call: balanced accuracy of argmax q, and the sample call's accuracy beside it")
    func evaluationScoresTheCall() throws {
        let (images, store, all, _) = try Self.projectWithAnOldModel()
        defer { images.remove() }
        // Truth: the 216 copepod-leaning images are copepods; of the 24 others 16 are diatoms, 8 copepods.
        var truth: [ImageID: String] = [:]
        for (i, image) in all.enumerated() { truth[image] = i < 216 || i >= 232 ? "copepod" : "diatom" }
        let report = try Evaluation(store: store).run(truth: truth, unmatched: 0)
        #expect(report.n == 240 && report.classes == ["copepod", "diatom"])
        // The call finds every diatom and calls 8 copepods diatom.
        #expect(report.confusion == [[216, 8], [0, 16]])
        #expect(abs(report.balancedAccuracy - (216.0 / 224 + 1) / 2) < 1e-12)
        #expect(abs(report.accuracy - 232.0 / 240) < 1e-12)
        // The most probable class in this sample is always copepod: right more often here, no diatom found.
        #expect(abs(report.sampleCall.accuracy - 224.0 / 240) < 1e-12 && report.sampleCall.balancedAccuracy == 0.5)
        // The probabilities scored are the shown ones, and before the correction the balanced ones.
        #expect(report.nll < report.beforePriorCorrection.nll)
        let json = try ClassifierRun.json(report)
        #expect(json.contains("\"sample_call\":{") && json.contains("\"confusion\":[[216,8],[0,16]]"))
    }
}
