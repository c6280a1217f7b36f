import CImageCodecs
import Foundation
import PlanktermCore
import Project
import Store
import TestSupport
import Testing

/// A small gray PNG whose pixels depend on `seed`, so every fixture has its own content hash.
func grayPNG(_ seed: Int, width: Int = 12, height: Int = 9) -> [UInt8] {
    let values = (0..<(width * height)).map { ($0 * 31 + seed * 17) % 256 }
    return PNGFixture.encode(width: width, height: height, type: .gray, bitDepth: 8, samples: values)
}

/// A small gray JPEG.
func grayJPEG(_ seed: Int) -> [UInt8] {
    let pixels = (0..<(16 * 16)).map { UInt8(($0 * 3 + seed * 5) % 256) }
    var out: UnsafeMutablePointer<UInt8>? = nil
    var size = 0
    var message = [CChar](repeating: 0, count: 100)
    _ = pt_jpeg_encode(pixels, 16, 16, 1, 90, 0, &out, &size, &message, message.count)
    defer { pt_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: size))
}

func importer(_ store: ProjectStore) -> Importer { Importer(store: store) }

@Suite("Import: incremental, idempotent, never crashing on bad files")
struct ImporterTests {
    @Test("a corpus of broken files imports: good ones in, bad ones failed with their reason")
    func brokenCorpus() throws {
        let images = try TemporaryDirectory("plankterm-corpus")
        defer { images.remove() }
        let good = grayPNG(1, width: 40, height: 40)
        try images.write(good, to: "ok/plain.png")
        try images.write(grayJPEG(2), to: "ok/photo.jpg")
        try images.write(
            PNGFixture.encode(
                width: 8, height: 8, type: .gray, bitDepth: 16,
                samples: (0..<64).map { $0 * 1000 }), to: "ok/sixteen-bit.png")
        try images.write(
            PNGFixture.encode(
                width: 8, height: 8, type: .palette, bitDepth: 8,
                samples: (0..<64).map { $0 % 3 },
                palette: [(0, 0, 0), (128, 128, 128), (255, 255, 255)]),
            to: "ok/palette.png")
        try images.write(
            PNGFixture.encode(
                width: 19, height: 13, type: .rgb, bitDepth: 8,
                samples: (0..<(19 * 13 * 3)).map { $0 % 256 }, interlaced: true),
            to: "ok/interlaced.png")
        try images.write(Array(good.prefix(good.count / 2)), to: "bad/truncated.png")
        let jpeg = grayJPEG(3)
        try images.write(Array(jpeg.prefix(jpeg.count * 2 / 3)), to: "bad/truncated.jpg")
        try images.write([], to: "bad/zero-bytes.png")
        try images.write(Array("not an image\n".utf8), to: "bad/text-named.png")
        try images.write(PNGFixture.hugeHeader(width: 100_000, height: 100_000), to: "bad/claims-100000x100000.png")
        try images.write(jpeg, to: "bad/jpeg-named.png")
        try images.write(Array("notes".utf8), to: "bad/readme.txt")

        let project = try TemporaryDirectory("plankterm-project")
        defer { project.remove() }
        let store = try ProjectStore.create(at: project.file("p"))
        let report = try importer(store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        #expect(report.scanned == 11 && report.added == 11 && report.otherFiles == 1)
        let failures = Dictionary(uniqueKeysWithValues: report.failed.map { ($0.path, $0.reason) })
        #expect(
            Set(failures.keys) == [
                "bad/truncated.png", "bad/truncated.jpg", "bad/zero-bytes.png",
                "bad/text-named.png", "bad/claims-100000x100000.png", "bad/jpeg-named.png"
            ])
        #expect(failures["bad/truncated.png"]!.hasPrefix("truncated"))
        #expect(failures["bad/truncated.jpg"]!.hasPrefix("truncated"))
        #expect(failures["bad/zero-bytes.png"] == "empty file (0 bytes)")
        #expect(failures["bad/text-named.png"] == "not a PNG or JPEG image")
        #expect(failures["bad/claims-100000x100000.png"]!.contains("100000×100000"))
        #expect(failures["bad/jpeg-named.png"] == "the file is a JPEG but is named .png")
        let summary = try store.summary()
        #expect(summary.images == 5 && summary.failed == 6)
        // "ok" and "bad" are two class folders, so folder labels are on; labels of failed images are kept
        // but not counted as labelled images.
        #expect(summary.validated == 5 && summary.labelsOnUnusableImages == 6)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("a second run adds nothing; new, changed, moved and vanished files are handled; labels are kept")
    func incremental() throws {
        let images = try TemporaryDirectory("plankterm-incremental")
        defer { images.remove() }
        for i in 0..<6 { try images.write(grayPNG(i), to: "\(i % 2 == 0 ? "copepod" : "diatom")/img\(i).png") }
        let project = try TemporaryDirectory()
        defer { project.remove() }
        let store = try ProjectStore.create(at: project.file("p"))
        let options = ImportOptions(imagesRoot: images.path, annotator: "t")
        let first = try importer(store).run(options)
        #expect(first.added == 6 && first.labelsAdded == 6)

        let second = try importer(store).run(options)
        #expect(second.added == 0 && second.unchanged == 6 && second.labelsAdded == 0 && second.labelsUnchanged == 6)
        #expect(try store.summary().annotations == 6)

        // new file, changed file, moved file, vanished file
        try images.write(grayPNG(10), to: "copepod/new.png")
        try images.write(grayPNG(11, width: 20), to: "diatom/img1.png")
        try FileManager.default.createDirectory(atPath: images.file("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(
            atPath: images.file("copepod/img2.png"), toPath: images.file("elsewhere/img2.png"))
        try FileManager.default.removeItem(atPath: images.file("diatom/img3.png"))
        let img3 = try #require(try store.imageID(path: "diatom/img3.png"))
        let img2 = try #require(try store.imageID(path: "copepod/img2.png"))

        let third = try importer(store).run(ImportOptions(imagesRoot: images.path, folderLabels: .off, annotator: "t"))
        #expect(third.added == 1 && third.changed == 1 && third.moved == 1)
        #expect(third.vanished == ["diatom/img3.png"])
        #expect(try store.imageID(path: "elsewhere/img2.png") == img2)  // same id after the move
        #expect(try store.currentLabels().contains { $0.imageID == img2 && $0.className == "copepod" })
        #expect(try store.currentLabels().contains { $0.imageID == img3 && $0.className == "diatom" })  // kept
        #expect(try store.summary().missing == 1)

        // the vanished file comes back
        try images.write(grayPNG(3), to: "diatom/img3.png")
        let fourth = try importer(store).run(ImportOptions(imagesRoot: images.path, folderLabels: .off, annotator: "t"))
        #expect(fourth.added + fourth.moved + fourth.changed + fourth.reappeared >= 1)
        #expect(try store.summary().missing == 0)
        #expect(try store.imageID(path: "diatom/img3.png") == img3)
    }

    @Test("a re-import never undoes an expert's label unless asked to")
    func conflicts() throws {
        let images = try TemporaryDirectory("plankterm-conflicts")
        defer { images.remove() }
        for i in 0..<4 { try images.write(grayPNG(i), to: "\(i < 2 ? "copepod" : "diatom")/img\(i).png") }
        let project = try TemporaryDirectory()
        defer { project.remove() }
        let store = try ProjectStore.create(at: project.file("p"))
        let options = ImportOptions(imagesRoot: images.path, annotator: "t")
        _ = try importer(store).run(options)
        let id = try #require(try store.imageID(path: "copepod/img0.png"))
        try store.append([
            AnnotationDraft(
                imageID: id, className: "nauplius", status: .validated, annotator: "expert",
                time: Date(), source: "tui")
        ])
        // A label file that changes two labels: one the expert changed in the TUI, one nobody touched.
        let csv = try images.write(
            Array("path,label\ncopepod/img0.png,fish\ncopepod/img1.png,chaetognath\n".utf8),
            to: "../labels-\(UUID().uuidString.prefix(6)).csv")
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let report = try importer(store).run(ImportOptions(imagesRoot: images.path, labelFile: csv, annotator: "t"))
        #expect(report.labelConflicts == ["copepod/img0.png"] && report.labelsAdded == 1)
        var labels = Dictionary(uniqueKeysWithValues: try store.currentLabels().map { ($0.path, $0.className) })
        #expect(labels["copepod/img0.png"] == "nauplius" && labels["copepod/img1.png"] == "chaetognath")

        var replace = ImportOptions(imagesRoot: images.path, labelFile: csv, annotator: "t")
        replace.replaceLabels = true
        _ = try importer(store).run(replace)
        labels = Dictionary(uniqueKeysWithValues: try store.currentLabels().map { ($0.path, $0.className) })
        #expect(labels["copepod/img0.png"] == "fish")
        #expect(try store.history(of: id).map(\.className) == ["copepod", "nauplius", "fish"])
    }

    @Test("a bad label file stops the import before anything is written")
    func badLabelFile() throws {
        let images = try TemporaryDirectory("plankterm-badlabels")
        defer { images.remove() }
        try images.write(grayPNG(1), to: "a.png")
        let csv = try images.write(Array("path,label,status\na.png,x,perhaps\n".utf8), to: "labels.csv")
        let project = try TemporaryDirectory()
        defer { project.remove() }
        let store = try ProjectStore.create(at: project.file("p"))
        #expect(throws: ProjectError.self) {
            try importer(store).run(ImportOptions(imagesRoot: images.path, labelFile: csv, annotator: "t"))
        }
        #expect(try store.summary().images == 0)
        #expect(throws: ProjectError.self) {
            try importer(store).run(ImportOptions(imagesRoot: images.file("nowhere"), annotator: "t"))
        }
    }
}
