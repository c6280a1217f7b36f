import Foundation
import NN
import Testing

@testable import Project

@Suite("Embeddings averaged over orientations")
struct OrientationTests {
    /// A side×side image with no symmetry: every pixel value differs.
    func asymmetricImage(side: Int, seed: Int) -> [UInt8] {
        (0..<side * side).map { UInt8(truncatingIfNeeded: ($0 * 37 + seed * 11 + ($0 * $0) % 7) % 251) }
    }

    func oriented(_ pixels: [UInt8], _ o: Orientation, side: Int) -> [UInt8] {
        var out = [Float](repeating: 0, count: side * side)
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o.apply(p.baseAddress!, side: side, scale: 1, into: $0.baseAddress!) }
        }
        return out.map { UInt8($0) }
    }

    @Test("the orientations are torch's: rot90 of [[1,2],[3,4]] is [[2,4],[1,3]]; each of the eight is distinct")
    func torchOrder() {
        let m: [UInt8] = [1, 2, 3, 4]
        #expect(oriented(m, .quarterTurn, side: 2) == [2, 4, 1, 3])
        #expect(oriented(m, .threeQuarterTurn, side: 2) == [3, 1, 4, 2])
        #expect(oriented(m, .mirrorLeftRight, side: 2) == [2, 1, 4, 3])
        #expect(oriented(m, .mirrorUpDown, side: 2) == [3, 4, 1, 2])
        #expect(oriented(m, .transpose, side: 2) == [1, 3, 2, 4])
        #expect(oriented(m, .quarterTurnMirrored, side: 2) == [4, 2, 3, 1])
        let image = asymmetricImage(side: 5, seed: 1)
        #expect(Set(Orientation.allCases.map { oriented(image, $0, side: 5) }).count == 8)
    }

    @Test(
        "each prefix of 1, 2, 4 and 8 orientations is closed: an orientation of the image gives the same set of views",
        arguments: [2, 4, 8])
    func closed(count: Int) {
        let side = 6, image = asymmetricImage(side: side, seed: 2)
        let views = Set(Orientation.allCases.prefix(count).map { oriented(image, $0, side: side) })
        for o in Orientation.allCases.prefix(count) {
            let turned = oriented(image, o, side: side)
            #expect(Set(Orientation.allCases.prefix(count).map { oriented(turned, $0, side: side) }) == views)
        }
    }

    func embeddings(of images: [[UInt8]], orientations: Int) -> [[Float]] {
        var config = EncoderConfig()
        config.side = 8
        config.widths = [4, 6]
        config.strides = [1, 2]
        config.stemStride = 1
        config.orientations = orientations
        let encoder = Encoder(config, seed: 3)
        let workspace = EncoderWorkspace(encoder: encoder, batch: images.count, lanes: 1)
        let d = config.embeddingDimension
        var out = [Float](repeating: 0, count: images.count * d)
        Embedder.embed(count: images.count, pixels: images.flatMap { $0 }, workspace: workspace, into: &out)
        return (0..<images.count).map { Array(out[$0 * d..<($0 + 1) * d]) }
    }

    func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    @Test("with 8 orientations an image, its mirror images and its quarter turns embed alike; with 1 they do not")
    func invariance() {
        let side = 8, image = asymmetricImage(side: side, seed: 3)
        let images = [image] + Orientation.allCases.dropFirst().map { oriented(image, $0, side: side) }
        let averaged = embeddings(of: images, orientations: 8)
        for e in averaged.dropFirst() { #expect(distance(e, averaged[0]) < 1e-5) }
        let norm = averaged[0].reduce(0) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-5)
        let single = embeddings(of: images, orientations: 1)
        #expect(single.dropFirst().allSatisfy { distance($0, single[0]) > 1e-3 })
        // 2 orientations: the left-right mirror only.
        let two = embeddings(of: images, orientations: 2)
        #expect(distance(two[1], two[0]) < 1e-5)
        #expect(distance(two[4], two[0]) > 1e-3)
    }

    @Test("an encoder file asking for another orientation count is refused; older files mean 1")
    func decoding() throws {
        let old = try JSONDecoder().decode(EncoderConfig.self, from: Data(#"{"side": 64}"#.utf8))
        #expect(old.orientations == 1)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EncoderConfig.self, from: Data(#"{"orientations": 3}"#.utf8))
        }
        var c = EncoderConfig()
        c.orientations = 8
        let again = try JSONDecoder().decode(EncoderConfig.self, from: JSONEncoder().encode(c))
        #expect(again.orientations == 8)
    }
}
