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

/// The NDSB PNG folder imported once per test process, for the tests that need its 13,018 images in a
/// project: each takes a copy of the project folder instead of reading, hashing and decoding every image
/// again. Each kind is built by the first test that asks for it (the others wait), and no connection to
/// it stays open, so that a copy is a whole database. Removed when the process exits.
final class NDSBProjects: @unchecked Sendable {
    static let shared = NDSBProjects()
    private let work = (NSTemporaryDirectory() as NSString).appendingPathComponent(
        "plankterm-ndsb-shared-\(UUID().uuidString.prefix(8))")
    /// One per kind, so that two kinds are built at the same time.
    private final class Slot {
        let lock = NSLock()
        var report: ImportReport?
    }
    private let slots = Dictionary(uniqueKeysWithValues: FolderLabels.allCases.map { ($0, Slot()) })

    private init() {
        atexit { try? FileManager.default.removeItem(atPath: NDSBProjects.shared.work) }
    }

    /// The report of importing the PNG folder into a new project with `folderLabels`, and a copy of that
    /// project at `directory`.
    func copy(folderLabels: FolderLabels, to directory: String) throws -> (ImportReport, ProjectStore) {
        let slot = slots[folderLabels]!
        return try slot.lock.withLock {
            let source = (work as NSString).appendingPathComponent(folderLabels.rawValue)
            if slot.report == nil {
                let store = try ProjectStore.create(at: source)
                let options = ImportOptions(
                    imagesRoot: (SharedData.ndsb ?? "") + "/png", folderLabels: folderLabels, annotator: "t")
                slot.report = try Importer(store: store).run(options)
            }
            try FileManager.default.copyItem(atPath: source, toPath: directory)
            return (slot.report!, try ProjectStore.open(at: directory))
        }
    }
}

@Suite("The NDSB dev set (../shared/data/ndsb-planktonset)", .enabled(if: SharedData.ndsb != nil))
struct DevSetTests {
    let ndsb = SharedData.ndsb ?? ""

    @Test(
        "class folders give 13,018 images in 121 classes; a second import adds 0; labels.csv agrees",
        .tags(.slow))
    func importFolders() throws {
        let project = try TemporaryDirectory("plankterm-ndsb")
        defer { project.remove() }
        let root = ndsb + "/png"
        let (first, folders) = try NDSBProjects.shared.copy(folderLabels: .auto, to: project.file("folders"))
        #expect(first.added == 13_018 && first.failed.isEmpty && first.labelSources == ["folders"])
        let summary = try folders.summary()
        #expect(summary.images == 13_018 && summary.classes == 121 && summary.validated == 13_018)
        let again = try Importer(store: folders).run(ImportOptions(imagesRoot: root, annotator: "t"))
        #expect(again.added == 0 && again.changed == 0 && again.labelsAdded == 0)
        #expect(try folders.summary().annotations == 13_018)

        // labels.csv on the same images (imported without labels): the same labels as the folders give.
        let (imagesOnly, fromCSV) = try NDSBProjects.shared.copy(folderLabels: .off, to: project.file("csv"))
        #expect(imagesOnly.added == 13_018 && imagesOnly.labelsAdded == 0 && imagesOnly.labelSources.isEmpty)
        #expect(try fromCSV.summary().annotations == 0)
        let report = try Importer(store: fromCSV).run(
            ImportOptions(imagesRoot: root, labelFile: ndsb + "/labels.csv", annotator: "t"))
        #expect(report.unmatchedLabels.isEmpty && report.labelsAdded == 13_018 && report.labelSources.count == 1)
        let a = try folders.currentLabels().map { [$0.path, $0.className, $0.status.rawValue] }
        let b = try fromCSV.currentLabels().map { [$0.path, $0.className, $0.status.rawValue] }
        #expect(a.count == 13_018 && a == b)
    }

    @Test("round trip: csv, ecotaxa and imagefolder exports re-import to exactly the same labels", .tags(.slow))
    func roundTrip() throws {
        let work = try TemporaryDirectory("plankterm-roundtrip")
        defer { work.remove() }
        let root = ndsb + "/png"
        // The images-only copy first: the other test asks for the labelled one first, so both build at once.
        let (_, fromCSV) = try NDSBProjects.shared.copy(folderLabels: .off, to: work.file("from-csv"))
        let (_, source) = try NDSBProjects.shared.copy(folderLabels: .auto, to: work.file("source"))
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
        // csv → the same images folder (imported without labels, above) with --labels
        let csv = work.file("labels.csv")
        _ = try exporter.run(ExportOptions(format: .csv, output: csv, statuses: Set(LabelStatus.allCases)))
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
