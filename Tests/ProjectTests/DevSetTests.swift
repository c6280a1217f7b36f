import Foundation
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

/// Labels keyed by image content, to compare projects whose paths differ.
func labelsByHash(_ store: ProjectStore) throws -> [String: CurrentLabel] {
    Dictionary(uniqueKeysWithValues: try store.currentLabels().map { ($0.hash!, $0) })
}

@Suite("The NDSB dev set (../shared/data/ndsb-planktonset)", .enabled(if: SharedData.ndsb != nil))
struct DevSetTests {
    let ndsb = SharedData.ndsb ?? ""

    @Test("class folders give 13,018 images in 121 classes; a second import adds 0; labels.csv agrees")
    func importFolders() throws {
        let project = try TemporaryDirectory("plankterm-ndsb")
        defer { project.remove() }
        let folders = try ProjectStore.create(at: project.file("folders"))
        let root = ndsb + "/png"
        let first = try Importer(store: folders).run(ImportOptions(imagesRoot: root, annotator: "t"))
        #expect(first.added == 13_018 && first.failed.isEmpty && first.labelSources == ["folders"])
        let summary = try folders.summary()
        #expect(summary.images == 13_018 && summary.classes == 121 && summary.validated == 13_018)
        let again = try Importer(store: folders).run(ImportOptions(imagesRoot: root, annotator: "t"))
        #expect(again.added == 0 && again.changed == 0 && again.labelsAdded == 0)
        #expect(try folders.summary().annotations == 13_018)

        let fromCSV = try ProjectStore.create(at: project.file("csv"))
        let report = try Importer(store: fromCSV).run(
            ImportOptions(imagesRoot: root, labelFile: ndsb + "/labels.csv", annotator: "t"))
        #expect(report.unmatchedLabels.isEmpty && report.labelsAdded == 13_018 && report.labelSources.count == 1)
        let a = try folders.currentLabels().map { [$0.path, $0.className, $0.status.rawValue] }
        let b = try fromCSV.currentLabels().map { [$0.path, $0.className, $0.status.rawValue] }
        #expect(a.count == 13_018 && a == b)
    }

    @Test("round trip: csv, ecotaxa and imagefolder exports re-import to exactly the same labels")
    func roundTrip() throws {
        let work = try TemporaryDirectory("plankterm-roundtrip")
        defer { work.remove() }
        let root = ndsb + "/png"
        let source = try ProjectStore.create(at: work.file("source"))
        _ = try Importer(store: source).run(ImportOptions(imagesRoot: root, annotator: "importer"))
        // Mix statuses, annotators, confidences and awkward class names into the labels.
        let ids = try source.imageIDs().sorted { $0.key < $1.key }.map(\.value)
        let awkward = [
            "Copepoda/Calanoida", "copepoda/calanoida", "../escape", "tab\there", "quote \"q\", comma",
            String(repeating: "Ω", count: 90), "nauplius"
        ]
        var drafts: [AnnotationDraft] = []
        for (i, id) in ids.enumerated() where i % 7 == 0 {
            let status: LabelStatus = [.validated, .dubious, .predicted][i % 3]
            drafts.append(
                AnnotationDraft(
                    imageID: id, className: awkward[i % awkward.count], status: status, annotator: "expert \(i % 4)",
                    time: Date(timeIntervalSince1970: 1_700_000_000 + Double(i) + 0.25), source: "tui",
                    confidence: status == .predicted ? 0.5 + Double(i % 50) / 100 : nil))
        }
        try source.append(drafts)
        let expected = try labelsByHash(source)
        #expect(expected.count == 13_018)

        func check(_ store: ProjectStore, format: String, timeTolerance: Double, confidence: Bool) throws {
            let got = try labelsByHash(store)
            #expect(got.count == expected.count, "\(format): \(got.count) labels")
            var mismatches = 0
            for (hash, want) in expected {
                guard let have = got[hash] else {
                    mismatches += 1
                    continue
                }
                let same =
                    have.className == want.className && have.status == want.status
                    && have.annotator == want.annotator
                    && abs(have.time.timeIntervalSince(want.time)) <= timeTolerance
                    && (!confidence || have.confidence == want.confidence)
                if !same { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(format): \(mismatches) labels differ")
        }

        let exporter = Exporter(store: source, imagesRoot: root)
        // csv → the same images folder with --labels
        let csv = work.file("labels.csv")
        _ = try exporter.run(ExportOptions(format: .csv, output: csv, statuses: Set(LabelStatus.allCases)))
        let fromCSV = try ProjectStore.create(at: work.file("from-csv"))
        _ = try Importer(store: fromCSV).run(ImportOptions(imagesRoot: root, labelFile: csv, annotator: "x"))
        try check(fromCSV, format: "csv", timeTolerance: 0.001, confidence: true)

        // ecotaxa → a new project on the exported folder with its TSV
        let eco = work.file("ecotaxa")
        _ = try exporter.run(ExportOptions(format: .ecotaxa, output: eco, statuses: Set(LabelStatus.allCases)))
        let fromEco = try ProjectStore.create(at: work.file("from-ecotaxa"))
        _ = try Importer(store: fromEco).run(
            ImportOptions(imagesRoot: eco, labelFile: eco + "/ecotaxa_export.tsv", annotator: "x"))
        try check(fromEco, format: "ecotaxa", timeTolerance: 1, confidence: false)

        // imagefolder → folders alone give every class name back; with labels.csv, everything
        let tree = work.file("tree")
        _ = try exporter.run(ExportOptions(format: .imagefolder, output: tree, statuses: Set(LabelStatus.allCases)))
        let folderNames = try FileManager.default.contentsOfDirectory(atPath: tree)
        #expect(folderNames.allSatisfy { !$0.hasPrefix(".") })
        #expect(!FileManager.default.fileExists(atPath: work.file("escape")))
        let fromTree = try ProjectStore.create(at: work.file("from-tree"))
        _ = try Importer(store: fromTree).run(ImportOptions(imagesRoot: tree, annotator: "x"))
        let treeLabels = try labelsByHash(fromTree)
        #expect(treeLabels.count == expected.count)
        #expect(treeLabels.allSatisfy { expected[$0.key]?.className == $0.value.className })
        let fromTreeCSV = try ProjectStore.create(at: work.file("from-tree-csv"))
        _ = try Importer(store: fromTreeCSV).run(
            ImportOptions(
                imagesRoot: tree, labelFile: tree + "/labels.csv",
                annotator: "x"))
        try check(fromTreeCSV, format: "imagefolder", timeTolerance: 0.001, confidence: true)
    }

    @Test("export filters by status and confidence and refuses to overwrite without force")
    func exportFilters() throws {
        let work = try TemporaryDirectory("plankterm-filters")
        defer { work.remove() }
        let images = try TemporaryDirectory("plankterm-filter-images")
        defer { images.remove() }
        for i in 0..<4 { try images.write(grayPNG(i), to: "img\(i).png") }
        let store = try ProjectStore.create(at: work.file("p"))
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        let ids = try store.imageIDs()
        try store.append([
            AnnotationDraft(
                imageID: ids["img0.png"]!, className: "a", status: .validated, annotator: "t", time: Date(),
                source: "tui"),
            AnnotationDraft(
                imageID: ids["img1.png"]!, className: "a", status: .predicted, annotator: "m", time: Date(),
                source: "model:1", confidence: 0.9),
            AnnotationDraft(
                imageID: ids["img2.png"]!, className: "b", status: .predicted, annotator: "m", time: Date(),
                source: "model:1", confidence: 0.3)
        ])
        let exporter = Exporter(store: store, imagesRoot: images.path)
        let out = work.file("out.csv")
        #expect(try exporter.run(ExportOptions(format: .csv, output: out)).labels == 1)
        #expect(throws: ProjectError.self) { try exporter.run(ExportOptions(format: .csv, output: out)) }
        let any = try exporter.run(
            ExportOptions(
                format: .csv, output: out, statuses: Set(LabelStatus.allCases),
                minConfidence: 0.5, force: true))
        #expect(any.labels == 2)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("img1.png,a,predicted,m,") && !text.contains("img2.png"))
        #expect(FileManager.default.fileExists(atPath: out + ".provenance.json"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
