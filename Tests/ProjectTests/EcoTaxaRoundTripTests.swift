import Foundation
import PlanktermCore
import Project
import Store
import TestSupport
import Testing
import ZIPFoundation

/// EcoTaxa as its users have it: one export TSV per sample, in a folder or a zip, with EcoTaxa's own
/// columns beside the annotation.
@Suite("EcoTaxa round trips: folders of sample TSVs, zips, and plankterm's own export")
struct EcoTaxaRoundTripTests {
    static let header = [
        "img_file_name", "object_id", "object_lat", "object_lon", "object_depth_min", "object_depth_max",
        "sample_id", "acq_pixel_size", "process_pixel", "object_area", "object_annotation_category",
        "object_annotation_status", "object_annotation_person_name", "object_annotation_date",
        "object_annotation_time"
    ]
    static let types = [
        "[t]", "[t]", "[f]", "[f]", "[f]", "[f]", "[t]", "[f]", "[f]", "[f]", "[t]", "[t]", "[t]", "[t]", "[t]"
    ]

    /// 8 images in two samples' folders, and an EcoTaxa export of them: `eco/<sample>/ecotaxa_<sample>.tsv`
    /// with the images named relative to each TSV (as EcoTaxa writes them).
    func exportFixture() throws -> (images: TemporaryDirectory, export: String, truth: [String: String]) {
        let images = try TemporaryDirectory("plankterm-ecotaxa")
        var truth: [String: String] = [:]
        var tables: [String: [[String]]] = [:]
        for i in 0..<8 {
            let sample = i < 4 ? "st01_n12" : "st02_n07"
            let path = "\(sample)/obj\(i).png"
            try images.write(grayPNG(i), to: path)
            let category = i % 2 == 0 ? "Calanoida" : "detritus"
            truth[path] = category
            tables[sample, default: [Self.header, Self.types]].append([
                "obj\(i).png", "\(sample)_\(i)", "25.\(i)", "-79.\(i)", "\(10 * i)", "\(10 * i + 5)", sample, "0.0106",
                "0.0106",
                "\(100 + i)", category, i == 7 ? "predicted" : "validated", "Ana Expert", "20240115", "09300\(i)"
            ])
        }
        let export = images.path + "-eco"
        for (sample, rows) in tables {
            let tsv = rows.map { $0.joined(separator: "\t") }.joined(separator: "\n") + "\n"
            let folder = export + "/" + sample
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(tsv.utf8).write(to: URL(fileURLWithPath: folder + "/ecotaxa_\(sample).tsv"))
            // Images beside each TSV, as in an EcoTaxa export.
            for i in 0..<8 where truth["\(sample)/obj\(i).png"] != nil {
                try FileManager.default.copyItem(
                    atPath: images.file("\(sample)/obj\(i).png"), toPath: folder + "/obj\(i).png")
            }
        }
        // Other files an export folder holds are left alone.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: export + "/README.txt"))
        return (images, export, truth)
    }

    func imported(_ images: TemporaryDirectory, labels: String) throws -> (ProjectStore, ImportReport) {
        let store = try ProjectStore.create(at: images.path + "-project-\(UUID().uuidString.prefix(6))")
        let report = try Importer(store: store).run(
            ImportOptions(imagesRoot: images.path, labelFile: labels, annotator: "t"))
        return (store, report)
    }

    func check(_ store: ProjectStore, _ truth: [String: String]) throws {
        let labels = try store.currentLabels()
        #expect(Dictionary(uniqueKeysWithValues: labels.map { ($0.path, $0.className) }) == truth)
        #expect(labels.first { $0.path.hasSuffix("obj7.png") }?.status == .predicted)
        #expect(labels.filter { $0.status == .validated }.allSatisfy { $0.annotator == "Ana Expert" })
        let samples = try store.field("sample_id")
        #expect(Set(samples.values) == ["st01_n12", "st02_n07"] && samples.count == 8)
        for name in [
            "object_id", "object_lat", "object_lon", "object_depth_min", "process_pixel", "acq_pixel_size",
            "object_area"
        ] {
            #expect(try store.field(name).count == 8, "\(name) kept as metadata")
        }
    }

    @Test("a folder of per-sample EcoTaxa TSVs imports with every label and EcoTaxa's columns as metadata")
    func folderOfSampleTables() throws {
        let (images, export, truth) = try exportFixture()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: export) }
        let (store, report) = try imported(images, labels: export)
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        #expect(report.labelsAdded == 8 && report.unmatchedLabels.isEmpty)
        #expect(report.labelSources == ["\(export) (2 tables)"])
        try check(store, truth)
        // Abundance by an EcoTaxa column groups by sample.
        #expect(try store.field("sample_id").values.filter { $0 == "st01_n12" }.count == 4)
    }

    @Test("a zip of the export folder imports the same, reading only its TSVs")
    func zippedExport() throws {
        let (images, export, truth) = try exportFixture()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: export) }
        let zip = export + ".zip"
        defer { try? FileManager.default.removeItem(atPath: zip) }
        try FileManager.default.zipItem(at: URL(fileURLWithPath: export), to: URL(fileURLWithPath: zip))
        let (store, report) = try imported(images, labels: zip)
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        #expect(report.labelsAdded == 8 && report.unmatchedLabels.isEmpty)
        try check(store, truth)
    }

    @Test("what plankterm export --format ecotaxa writes imports back, as a folder, with every label")
    func ownExportImportsBack() throws {
        let (images, export, truth) = try exportFixture()
        defer { images.remove(); try? FileManager.default.removeItem(atPath: export) }
        let (store, _) = try imported(images, labels: export)
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        let out = images.path + "-out"
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try Exporter(store: store, imagesRoot: images.path)
            .run(ExportOptions(format: .ecotaxa, output: out, statuses: Set(LabelStatus.allCases)))
        let back = try ProjectStore.create(at: out + "-project")
        defer { try? FileManager.default.removeItem(atPath: back.directory) }
        let report = try Importer(store: back).run(ImportOptions(imagesRoot: out, labelFile: out, annotator: "x"))
        #expect(report.labelsAdded == 8)
        let labels = try back.currentLabels()
        #expect(Dictionary(uniqueKeysWithValues: labels.map { ($0.path, $0.className) }) == truth)
    }

    @Test("a folder without EcoTaxa tables, or a zip that is not one, is one clear error")
    func badSources() throws {
        let folder = try TemporaryDirectory("plankterm-no-tables")
        defer { folder.remove() }
        try folder.write(Array("x".utf8), to: "labels.txt")
        let error = #expect(throws: ProjectError.self) { _ = try LabelSource.read(path: folder.path) }
        #expect(error?.description.contains("ecotaxa_*.tsv") == true)
        let fake = try folder.write(Array("not a zip".utf8), to: "labels.zip")
        let zipError = #expect(throws: ProjectError.self) { _ = try LabelSource.read(path: fake) }
        #expect(zipError?.description.contains("not a readable zip archive") == true)
        let missing = #expect(throws: ProjectError.self) { _ = try LabelSource.read(path: folder.file("gone.tsv")) }
        #expect(missing?.description.hasSuffix("no such file or folder") == true)
    }
}
