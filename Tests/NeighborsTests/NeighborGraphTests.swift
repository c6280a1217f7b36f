import Foundation
import PlanktermCore
import Testing

@testable import Neighbors

@Suite struct NeighborGraphTests {
    func writeMatrix(_ values: [Float], to path: String) throws {
        try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
    }

    @Test func graphExcludesSelfMatchesNaiveAndExtendsIncrementally() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("knn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = 8, k = 5
        let all = ExactSearchTests.unitRows(900, d, seed: 3)
        try writeMatrix(Array(all[0..<(600 * d)]), to: dir + "/m.f32")
        let first = try MappedMatrix(path: dir + "/m.f32", columns: d)
        #expect(first.rows == 600)
        let graph = NeighborGraph.build(first, k: k)
        let truth = ExactSearchTests.naive(
            Array(all[0..<(600 * d)]), Array(all[0..<(600 * d)]), d: d, k: k, selfOffset: 0)
        for i in [0, 17, 599] { #expect(graph.lists.neighbors(of: i).map(\.index) == truth[i]) }

        // 300 images are added: extending equals rebuilding.
        try writeMatrix(all, to: dir + "/m.f32")
        let grown = try MappedMatrix(path: dir + "/m.f32", columns: d)
        let extended = graph.extended(to: grown)
        let rebuilt = NeighborGraph.build(grown, k: k)
        #expect(extended.lists.indices == rebuilt.lists.indices)
        let largest = zip(extended.lists.similarities, rebuilt.lists.similarities).map { abs($0 - $1) }.max()!
        #expect(largest < 1e-5)  // the same dot products, summed in other GEMM blocks

        try extended.write(to: dir + "/g.knn")
        #expect(try NeighborGraph.read(from: dir + "/g.knn") == extended)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/bad.knn"))
        #expect(throws: NeighborsError.self) { try NeighborGraph.read(from: dir + "/bad.knn") }
    }
}
