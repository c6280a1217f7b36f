import Foundation
import Learning
import NN
import Neighbors
import PlanktermCore
import Store
import TestSupport
import Testing

@testable import Project

/// Damage `path` in one of the ways a disk, a tool or a person damages files.
enum Damage: String, CaseIterable {
    case deleted, truncated, zeroLength, randomBytes, wrongHeader

    func apply(to path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var rng = SeededGenerator(seed: 11)
        switch self {
        case .deleted: try FileManager.default.removeItem(atPath: path)
        case .truncated: try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        case .zeroLength: try Data().write(to: URL(fileURLWithPath: path))
        case .randomBytes:
            try Data((0..<data.count).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(
                to: URL(fileURLWithPath: path))
        case .wrongHeader:
            var bytes = [UInt8](data)
            for i in 0..<min(16, bytes.count) { bytes[i] = 0xA5 }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }
}

@Suite("Nothing lost, nothing silent: damaged derived files, guarded outputs, reported input")
struct NothingLostTests {
    @Test("export --force never replaces, fills or lands inside the project or the images folder")
    func exportNeverTouchesTheProjectOrTheImages() throws {
        let (images, store, truth) = try projectWithClusters(12)
        defer { images.remove() }
        try label(store, truth, perClass: 2)
        let exporter = Exporter(store: store, imagesRoot: images.path)
        let before = try FileManager.default.subpathsOfDirectory(atPath: images.path).sorted()
        let attempts: [(ExportFormat, String)] = [
            (.csv, store.directory), (.imagefolder, images.path), (.csv, store.directory + "/plankterm.sqlite"),
            (.ecotaxa, store.directory + "/exports/eco"), (.csv, images.path + "/a/labels.csv"),
            (.imagefolder, (images.path as NSString).deletingLastPathComponent),
            (.csv, images.path + "/a/../project/x.csv")
        ]
        for (format, output) in attempts {
            let error = #expect(throws: ProjectError.self, "\(output)") {
                try exporter.run(ExportOptions(format: format, output: output, force: true))
            }
            #expect(error?.description.contains("exports go outside the project and the images folder") == true)
        }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: images.path).sorted() == before)
        #expect(try ProjectStore.open(at: store.directory).validatedLabels().count == 6)
        // Beside both, an export still works.
        let out = images.path + "-export.csv"
        defer {
            try? FileManager.default.removeItem(atPath: out);
            try? FileManager.default.removeItem(atPath: out + ".provenance.json")
        }
        #expect(try exporter.run(ExportOptions(format: .csv, output: out, force: true)).labels == 6)
    }

    @Test("damaged posteriors are refused with one error naming the file, by every reader, never a trap")
    func damagedPosteriorsAreRefused() throws {
        for damage in Damage.allCases {
            let (images, store, truth) = try projectWithClusters(30)
            defer { images.remove() }
            try label(store, truth, perClass: 4)
            let report = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear, seed: 1))
            let parameters = try ClassifierRun.parameters(of: try #require(try store.currentClassifier()))
            let file = store.directory + "/" + parameters.posteriorsFile
            #expect(parameters.posteriorsSHA256 != nil && parameters.posteriorsRows == 30)
            #expect(throws: Never.self) { try ReviewQueue.build(store: store, strategy: .margin, count: 5) }
            try damage.apply(to: file)
            func refused(_ body: () throws -> Void) {
                let error = #expect(throws: ProjectError.self, "\(damage)") { try body() }
                guard case .damaged(let path, _, let remedy)? = error else {
                    Issue.record("\(damage): not refused as damaged: \(String(describing: error))")
                    return
                }
                #expect(path == file && remedy.contains("plankterm train"))
            }
            refused { _ = try ReviewQueue.build(store: store, strategy: .margin, count: 5) }
            refused { _ = try AbundanceReport.build(store: store, by: "folder") }
            refused {
                let truthNames = Dictionary(uniqueKeysWithValues: truth.map { ($0.key, classNames[$0.value]) })
                _ = try Evaluation(store: store).run(truth: truthNames, unmatched: 0)
            }
            // The labels are as they were, and the model stays what it was (nothing installed from garbage).
            #expect(try store.validatedLabels().count == 12)
            #expect(try store.currentClassifier()?.id == report.modelId)
        }
    }

    @Test("damaged embeddings are refused by training, so no model is made from garbage")
    func damagedEmbeddingsMakeNoModel() throws {
        for damage in Damage.allCases {
            let (images, store, truth) = try projectWithClusters(30)
            defer { images.remove() }
            try label(store, truth, perClass: 4)
            try damage.apply(to: store.directory + "/embeddings/enc-test.f32")
            let error = #expect(throws: ProjectError.self, "\(damage)") {
                _ = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear))
            }
            guard case .damaged(let path, _, let remedy)? = error else {
                Issue.record("\(damage): not refused as damaged: \(String(describing: error))")
                continue
            }
            #expect(path.hasSuffix("embeddings/enc-test.f32") && remedy.contains("plankterm embed"))
            #expect(try store.currentClassifier() == nil, "\(damage)")
            #expect(try store.validatedLabels().count == 12)
        }
    }

    @Test("embed rebuilds a deleted or damaged embeddings file instead of extending it with zeros")
    func embedRebuildsADamagedFile() throws {
        let images = try TemporaryDirectory("plankterm-embed-damage")
        defer { images.remove() }
        try blobImages(10, into: images)
        let store = try ProjectStore.create(at: images.path + "-project")
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        // A tiny encoder: what is checked is the embeddings file, not the network that fills it.
        let weights = store.directory + "/tiny-encoder.safetensors"
        try Encoder(tinyEncoder(), seed: 7).save(to: weights)
        let first = try Embedder(store: store).run(weights: weights, imagesRoot: images.path)
        #expect(first.added == 10 && first.rebuilt == nil)
        for damage in [Damage.deleted, .zeroLength, .truncated, .randomBytes] {
            try damage.apply(to: first.file)
            let again = try Embedder(store: store).run(weights: weights, imagesRoot: images.path)
            #expect(again.added == 10 && again.total == 10 && again.rebuilt != nil, "\(damage)")
            let loaded = try ProjectEmbeddings.load(store: store)
            #expect(loaded.rowOf.count == 10 && ProjectEmbeddings.firstBadRow(loaded.matrix, rows: loaded.rows) == nil)
        }
        // An intact file is extended, not rebuilt.
        let intact = try Embedder(store: store).run(weights: weights, imagesRoot: images.path)
        #expect(intact.added == 0 && intact.rebuilt == nil)
    }

    @Test("a damaged pixel cache is decoded again, never fed to the encoder")
    func damagedPixelCacheIsRebuilt() throws {
        let images = try TemporaryDirectory("plankterm-pixel-cache")
        defer { images.remove() }
        try blobImages(6, into: images)
        let store = try ProjectStore.create(at: images.path + "-project")
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        _ = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        let list = try store.usableImages().map { (id: $0.id, path: $0.path) }
        func pixels(_ cache: PixelCache) -> [[UInt8]] {
            list.map { image in
                var row = [UInt8](repeating: 0, count: cache.rowBytes)
                row.withUnsafeMutableBufferPointer { cache.read(row: cache.rows[image.id]!, into: $0.baseAddress!) }
                return row
            }
        }
        let original = pixels(
            try PixelCache(directory: store.directory, side: 16, images: list, imagesRoot: images.path))
        for damage in Damage.allCases {
            try damage.apply(to: store.directory + "/cache/pixels-16.u8")
            let reopened = try PixelCache(directory: store.directory, side: 16, images: list, imagesRoot: images.path)
            #expect(pixels(reopened) == original, "\(damage)")
        }
        // A damaged hash file costs a rebuild, not wrong pixels.
        try Damage.randomBytes.apply(to: store.directory + "/cache/pixels-16.sum")
        #expect(
            pixels(try PixelCache(directory: store.directory, side: 16, images: list, imagesRoot: images.path))
                == original)
    }

    @Test("a damaged neighbour graph is refused on reading (and rebuilt by updateGraph)")
    func damagedGraphIsRebuilt() throws {
        let (images, store, _) = try projectWithClusters(24)
        defer { images.remove() }
        let embeddings = try ProjectEmbeddings.load(store: store)
        let graph = try embeddings.updateGraph(project: store.directory, k: 4, threads: 1)
        let file = ProjectEmbeddings.graphFile(project: store.directory, encoderId: embeddings.encoderId)
        // Indices pointing past the last row, with an intact header and size.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        for i in 16..<40 { bytes[i] = 0x7F }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        #expect(throws: NeighborsError.self) { try NeighborGraph.read(from: file) }
        for damage in Damage.allCases {
            try damage.apply(to: file)
            #expect(try embeddings.updateGraph(project: store.directory, k: 4, threads: 1) == graph, "\(damage)")
        }
    }

    @Test("a training run that fails before its model is installed leaves no orphan files")
    func failedTrainingLeavesNoOrphans() throws {
        let (images, store, truth) = try projectWithClusters(30)
        defer { images.remove() }
        try label(store, truth, perClass: 4)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            _ = try ClassifierRun(store: store).train(ClassifierSettings(head: .linear)) { stage, _ in
                if stage.hasPrefix("installing") { throw Stop() }
            }
        }
        let models = (try? FileManager.default.contentsOfDirectory(atPath: store.directory + "/models")) ?? []
        #expect(models.filter { !$0.hasPrefix(".") }.isEmpty, "\(models)")
        #expect(try store.currentClassifier() == nil)
    }

    @Test("an empty or foreign database file is refused as damaged, never rebuilt as an empty project")
    func damagedDatabaseIsRefused() throws {
        let (images, store, truth) = try projectWithClusters(6)
        defer { images.remove() }
        try label(store, truth, perClass: 1)
        let directory = store.directory
        let copy = images.path + "-db-copy"
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let copiedDatabase = ProjectStore.databasePath(in: copy)
        for damage in [Damage.zeroLength, .randomBytes] {
            try? FileManager.default.removeItem(atPath: copiedDatabase + "-wal")
            try? FileManager.default.removeItem(atPath: copiedDatabase + "-shm")
            try damage.apply(to: copiedDatabase)
            let size = try FileManager.default.attributesOfItem(atPath: copiedDatabase)[.size] as? Int
            let error = #expect(throws: StoreError.self, "\(damage)") { _ = try ProjectStore.open(at: copy) }
            guard case .damaged? = error else {
                Issue.record("\(damage): not refused as damaged: \(String(describing: error))")
                continue
            }
            #expect(error?.description.contains("nothing was changed") == true)
            #expect(try FileManager.default.attributesOfItem(atPath: copiedDatabase)[.size] as? Int == size)
        }
        // The intact project still opens with its labels.
        #expect(try ProjectStore.open(at: directory).validatedLabels().count == 3)
    }

    @Test("label files: an unterminated quote is an error naming its row; empty cells and conflicting rows are counted")
    func labelFileInputIsNeverSilent() throws {
        let images = try TemporaryDirectory("plankterm-label-input")
        defer { images.remove() }
        for i in 0..<6 { try images.write(grayPNG(i), to: "img\(i).png") }
        var csv = "path,label\nimg0.png,copepod\nimg1.png,\"diatom\n"
        for i in 2..<6 { csv += "img\(i).png,copepod\n" }
        let broken = try images.write(Array(csv.utf8), to: "../\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let error = #expect(throws: ProjectError.self) { _ = try LabelFile.read(path: broken) }
        guard case .labelRow(let path, let row, let reason)? = error else {
            Issue.record("not a row error: \(String(describing: error))")
            return
        }
        #expect(path == broken && row == 2 && reason.contains("never closed"))

        let rows =
            "path,label\nimg0.png,copepod\nimg1.png,\nimg2.png,diatom\nimg2.png,copepod\nimg3.png,diatom\nimg3.png,diatom\n"
        let file = try images.write(Array(rows.utf8), to: "../\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let store = try ProjectStore.create(at: images.path + "-project")
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        let report = try Importer(store: store).run(
            ImportOptions(imagesRoot: images.path, labelFile: file, annotator: "t"))
        #expect(report.emptyLabelRows == [2])
        #expect(report.conflictingRows == ["img2.png"])
        #expect(report.labelsAdded == 2)  // img0 and img3 (twice the same: one label)
        let labels = try store.currentLabels().map { "\($0.path)=\($0.className)" }.sorted()
        #expect(labels == ["img0.png=copepod", "img3.png=diatom"])
    }

    @Test("names that are not UTF-8 and entries that cannot be looked at are reported, not skipped quietly")
    func unreadableEntriesAreReported() throws {
        let images = try TemporaryDirectory("plankterm-names")
        defer { images.remove() }
        try images.write(grayPNG(1), to: "good.png")
        // A name with the byte 0xFF, which no UTF-8 string holds.
        var name =
            (Array(images.path.utf8) + Array("/bad-".utf8) + [0xFF] + Array(".png".utf8)).map { CChar(bitPattern: $0) }
            + [0]
        let fd = open(&name, O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        let png = grayPNG(2)
        _ = png.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(symlink(images.path + "/nowhere", images.path + "/dangling.png") == 0)
        let store = try ProjectStore.create(at: images.path + "-project")
        defer { try? FileManager.default.removeItem(atPath: store.directory) }
        let report = try Importer(store: store).run(ImportOptions(imagesRoot: images.path, annotator: "t"))
        #expect(report.added == 1)
        #expect(report.skipped.map(\.path) == ["bad-\\xFF.png", "dangling.png"])
        #expect(report.skipped.first?.reason.contains("not valid UTF-8") == true)
        #expect(report.skipped.last?.reason == "no such file or directory")
    }

    @Test("OS errors are named in words, never as Foundation's error dumps")
    func osErrorsInWords() {
        #expect(ErrorText.errno(ENOSPC) == "no space left on device")
        #expect(ErrorText.errno(EACCES) == "permission denied")
        #expect(ErrorText.describe(CocoaError(.fileWriteOutOfSpace)) == "no space left on device")
        #expect(ErrorText.describe(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))) == "no space left on device")
        let wrapped = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EISDIR))])
        #expect(ErrorText.describe(wrapped) == "is a directory")
        let unknown = NSError(domain: NSCocoaErrorDomain, code: 256)
        #expect(
            !ErrorText.describe(unknown).contains("NSCocoaErrorDomain")
                && !ErrorText.describe(unknown).contains("could not be completed"))
        // A real failure: reading a folder as a label file.
        let error = #expect(throws: ProjectError.self) { _ = try LabelFile.read(path: NSTemporaryDirectory()) }
        #expect(error?.description.hasSuffix("it is a folder, not a file") == true)
    }
}
