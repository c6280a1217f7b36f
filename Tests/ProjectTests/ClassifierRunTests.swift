import Foundation
import Learning
import Neighbors
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

/// A project of `count` images in folders a/ and b/ whose embeddings (written directly, dimension 8)
/// form three noisy clusters by class `i % 3`.
func projectWithClusters(_ count: Int, noise: Float = 0.5) throws -> (TemporaryDirectory, ProjectStore, [ImageID: Int])
{
    let images = try TemporaryDirectory("plankterm-classifier-images")
    try FileManager.default.createDirectory(atPath: images.path + "/a", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: images.path + "/b", withIntermediateDirectories: true)
    try blobImages(count / 2, into: images, prefix: "a/img")
    try blobImages(count - count / 2, into: images, prefix: "b/img")
    let store = try ProjectStore.create(at: images.path + "/project")
    _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, folderLabels: .off, annotator: "t"))
    let all = try store.usableImages()
    var rng = SeededGenerator(seed: 4)
    var values: [Float] = [], truth: [ImageID: Int] = [:], rows: [(ImageID, Int)] = []
    for (row, image) in all.enumerated() {
        let c = row % 3
        truth[image.id] = c
        var v = (0..<8).map { _ in Float.random(in: -noise...noise, using: &rng) }
        v[c] += 1
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        values += v.map { $0 / norm }
        rows.append((image.id, row))
    }
    try FileManager.default.createDirectory(atPath: store.directory + "/embeddings", withIntermediateDirectories: true)
    try values.withUnsafeBytes { Data($0) }.write(
        to: URL(fileURLWithPath: store.directory + "/embeddings/enc-test.f32"))
    try Data(#"{"dimension": 8}"#.utf8).write(to: URL(fileURLWithPath: store.directory + "/embeddings/enc-test.json"))
    try store.registerModel(id: "enc-test", kind: "encoder", parameters: [String: String](), createdAt: Date())
    try store.addEmbeddingRows(modelId: "enc-test", rows)
    return (images, store, truth)
}

let classNames = ["copepod", "diatom", "detritus"]

func label(_ store: ProjectStore, _ truth: [ImageID: Int], perClass: Int) throws {
    var drafts: [AnnotationDraft] = []
    var taken = [0, 0, 0]
    for (id, c) in truth.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where taken[c] < perClass {
        taken[c] += 1
        drafts.append(
            AnnotationDraft(
                imageID: id, className: classNames[c], status: .validated, annotator: "t",
                time: Date(), source: "cli"))
    }
    try store.append(drafts)
}

@Suite("Classifier training, evaluation and abundance on a project")
struct ClassifierRunTests {
    @Test("train installs a calibrated model with a prediction for every image; a failed install changes nothing")
    func trainPredictsEveryImageAndInstallsAtomically() throws {
        let (images, store, truth) = try projectWithClusters(90)
        defer { images.remove() }
        try label(store, truth, perClass: 12)
        let report = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear, seed: 1))
        #expect(report.labelsUsed == 36 && report.classes == 3 && report.imagesPredicted == 90)
        #expect(try store.currentClassifier()?.id == report.modelId)
        let predictions = try store.predictions(model: report.modelId)
        #expect(predictions.count == 90)
        let names = try store.classNames()
        let correct = predictions.values.filter { names[$0.classID] == classNames[truth[$0.imageID]!] }.count
        #expect(correct >= 80)
        for p in predictions.values {
            // The call need not be the most probable class in this sample (top[0]), but with 3 classes it is
            // among the top 3, with its probability in this sample as the confidence.
            #expect(p.top.count == 3 && p.top.contains { $0.classID == p.classID })
            #expect(abs(p.confidence - Double(p.top.first { $0.classID == p.classID }!.probability)) < 1e-6)
            #expect(abs(Double(p.top.map(\.probability).reduce(0, +)) - 1) < 1e-4)
            #expect(p.leastConfidence >= 0 && p.margin >= 0 && p.entropy >= 0)
        }
        let parameters = try ClassifierRun.parameters(of: try #require(try store.currentClassifier()))
        // The stored call is the balanced decision: argmax of the image's row of the posteriors file.
        #expect(parameters.call == ClassifierParameters.balancedCall)
        let matrix = try ClassifierRun.current(store: store).posteriors
        for p in predictions.values {
            let row = matrix.row(p.row)
            #expect(parameters.classIds[row.indices.max { row[$0] < row[$1] }!] == p.classID)
        }
        // 36 labels: the chosen calibration is the temperature or BCTS under a prior, never uncalibrated.
        #expect(parameters.calibration.method != .none && parameters.counts == [12, 12, 12])
        #expect(parameters.calibrationQuality?.labels == 36)
        // The out-of-fold record travels with the model and reads back as written.
        let oof = try #require(try ClassifierRun.outOfFold(project: store.directory, parameters: parameters))
        #expect(oof.truth.count == 36 && oof.posteriors.count == 36 * 3)
        #expect(FileManager.default.fileExists(atPath: store.directory + "/" + parameters.posteriorsFile))

        // An install that fails half-way (a prediction for an image that does not exist) rolls back whole.
        let bad = PredictionRecord(
            imageID: ImageID(999_999), classID: 1, confidence: 1, top: [], leastConfidence: 0,
            margin: 1, entropy: 0, row: 0)
        let good = predictions.values.first!
        #expect(throws: StoreError.self) {
            try store.installClassifier(
                id: "clf-broken", parameters: [String: String](), metrics: [String: String](), createdAt: Date(),
                predictions: [good, bad])
        }
        #expect(try store.currentClassifier()?.id == report.modelId)
        #expect(try store.predictions(model: "clf-broken").isEmpty)
        #expect(try store.classifiers().map(\.id) == [report.modelId])

        // CSV export: validated labels with probability 1, and the model's predictions for the rest.
        let out = images.path + "-export.csv"
        defer {
            try? FileManager.default.removeItem(atPath: out);
            try? FileManager.default.removeItem(atPath: out + ".provenance.json")
        }
        _ = try Exporter(store: store, imagesRoot: images.path).run(
            ExportOptions(
                format: .csv, output: out,
                statuses: [.validated, .predicted]))
        let exported = try LabelFile.read(path: out)
        #expect(exported.records.count == 90)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n").dropFirst()
        #expect(lines.filter { $0.contains(",validated,") }.count == 36)
        #expect(lines.filter { $0.contains(",validated,") }.allSatisfy { $0.hasSuffix(",1") })
        let predicted = lines.filter { $0.contains(",predicted,") }
        #expect(predicted.count == 54)
        for line in predicted {
            let p = Double(line.split(separator: ",").last!)!
            #expect(p > 0 && p <= 1)
        }
    }

    @Test("training refuses a single class and keeps the previous model")
    func oneClassIsRefused() throws {
        let (images, store, truth) = try projectWithClusters(30)
        defer { images.remove() }
        try label(store, truth, perClass: 5)
        let first = try ClassifierRun(store: store).train(ClassifierSettings(head: .knn))
        // Withdraw every label except class 0's: training must refuse and keep `first`.
        let names = try store.classNames()
        let withdraw = try store.validatedLabels().filter { names[$0.value] != "copepod" }.map {
            AnnotationDraft(
                imageID: $0.key, className: nil, status: .validated, annotator: "t", time: Date(), source: "cli")
        }
        try store.append(withdraw)
        #expect(throws: ProjectError.self) { try ClassifierRun(store: store).train(ClassifierSettings(head: .linear)) }
        #expect(try store.currentClassifier()?.id == first.modelId)
    }

    @Test("eval scores held-out images against a truth file; abundance groups by folder and by an imported column")
    func evaluationAndAbundance() throws {
        let (images, store, truth) = try projectWithClusters(240, noise: 0.4)
        defer { images.remove() }
        try label(store, truth, perClass: 15)
        _ = try ClassifierRun(store: store).train(ClassifierSettings(head: .knn, seed: 2))
        let paths = Dictionary(uniqueKeysWithValues: try store.usableImages().map { ($0.id, $0.path) })
        var csv = "path,label,station\n"
        for (id, c) in truth.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            csv += "\(paths[id]!),\(classNames[c]),\(paths[id]!.hasPrefix("a/") ? "north" : "south")\n"
        }
        try images.write(Array(csv.utf8), to: "truth.csv")
        let (labels, unmatched) = try TruthLabels.read(
            images.path + "/truth.csv", store: store, imagesRoot: images.path)
        #expect(labels.count == 240 && unmatched == 0)
        let report = try Evaluation(store: store).run(truth: labels, unmatched: 0)
        #expect(report.n == 240 - 45)
        #expect(report.accuracy > 0.9)
        #expect(report.ece < 0.15)

        let byFolder = try AbundanceReport.build(store: store, by: "folder", minimum: 100, bootstrap: 10)
        #expect(byFolder.groups.map(\.name) == ["a", "b"])
        #expect(byFolder.groups.allSatisfy { $0.refused == nil && $0.images == 120 })
        for group in byFolder.groups {
            #expect(abs(group.classes.reduce(0) { $0 + $1.classifyAndCount } - 120) < 1e-9)
            #expect(abs(group.classes.reduce(0) { $0 + ($1.corrected ?? 0) } - 120) < 1e-6)
        }
        // The station column comes in with a re-import of the truth file as a label file.
        _ = try Importer(store: store).run(
            ImportOptions(
                imagesRoot: images.path, labelFile: images.path + "/truth.csv",
                folderLabels: .off, annotator: "t"))
        #expect(try store.fieldNames() == ["station"])
        let byStation = try AbundanceReport.build(store: store, by: "station", minimum: 500, bootstrap: 0)
        #expect(byStation.groups.map(\.name) == ["north", "south"])
        #expect(byStation.groups.allSatisfy { $0.refused != nil && $0.classes.allSatisfy { $0.corrected == nil } })
        #expect(throws: ProjectError.self) { try AbundanceReport.build(store: store, by: "depth") }
    }

    @Test("a simulated campaign adds `step` labels per round up to the budget and learns")
    func simulation() throws {
        let (images, store, truth) = try projectWithClusters(150, noise: 0.6)
        defer { images.remove() }
        let embeddings = try ProjectEmbeddings.load(store: store)
        let rows = truth.keys.sorted(by: { $0.rawValue < $1.rawValue }).map { embeddings.rowOf[$0]! }
        let classes = truth.keys.sorted(by: { $0.rawValue < $1.rawValue }).map { truth[$0]! }
        for strategy in [QueryStrategy.random, .margin, .diverse] {
            let curve = CampaignSimulation(strategy: strategy, start: 6, step: 6, budget: 30, seed: 3, head: .linear)
                .run(features: embeddings.features, rows: rows, truth: classes, classes: 3, classNames: classNames)
            #expect(curve.map(\.labels) == [6, 12, 18, 24, 30])
            #expect(curve.last!.accuracy > 0.8, "\(strategy)")
        }
    }
}
