import Foundation
import Learning
import TestSupport
import Testing

@Suite struct PrincipalComponentsTests {
    /// 400 rows in 6 dimensions: offset (1, …) + 3·a·e₁' + 1·b·e₂' + 0.01·noise, on two rotated axes.
    static func data() -> [Float] {
        var rows = [Float]()
        var state: UInt64 = 3
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let u: [Float] = [0.6, 0.8, 0, 0, 0, 0], v: [Float] = [0, 0, 0, 0, 0.8, -0.6]
        for _ in 0..<400 {
            let a = uniform() * 3, b = uniform()
            for k in 0..<6 { rows.append(1 + a * u[k] + b * v[k] + 0.01 * uniform()) }
        }
        return rows
    }

    @Test("PCA finds the two axes the data spans, in order, and projects to unit rows")
    func findsAxes() throws {
        let rows = Self.data()
        let map = try rows.withUnsafeBufferPointer {
            try PrincipalComponents.fit(rows: $0.baseAddress!, count: 400, dimension: 6, keep: 2)
        }
        #expect(abs(map.mean[0] - 1) < 0.1 && abs(map.mean[5] - 1) < 0.1)
        // the first axis is ±u, the second ±v
        let first = Array(map.axes[0..<6]), second = Array(map.axes[6..<12])
        #expect(abs(abs(first[0]) - 0.6) < 1e-2 && abs(abs(first[1]) - 0.8) < 1e-2)
        #expect(abs(abs(second[4]) - 0.8) < 1e-2 && abs(abs(second[5]) - 0.6) < 1e-2)
        #expect(map.variances[0] > 5 * map.variances[1])
        #expect(map.varianceKept > 0.999)
        var out = [Float](repeating: 0, count: 400 * 2)
        rows.withUnsafeBufferPointer { map.project($0.baseAddress!, count: 400, into: &out) }
        for r in 0..<400 { #expect(abs(out[2 * r] * out[2 * r] + out[2 * r + 1] * out[2 * r + 1] - 1) < 1e-5) }
        // the mean itself has no direction: stored as the first axis
        var zero = [Float](repeating: 0, count: 2)
        map.mean.withUnsafeBufferPointer { map.project($0.baseAddress!, count: 1, into: &zero) }
        #expect(zero == [1, 0])
    }

    @Test("whitened: the two axes weigh the same in the stored rows; unwhitened the wide one dominates")
    func whitens() throws {
        let rows = Self.data()
        func rms(whitened: Bool) throws -> (Float, Float) {
            let map = try rows.withUnsafeBufferPointer {
                try PrincipalComponents.fit(
                    rows: $0.baseAddress!, count: 400, dimension: 6, keep: 2, whitened: whitened)
            }
            var out = [Float](repeating: 0, count: 800)
            rows.withUnsafeBufferPointer { map.project($0.baseAddress!, count: 400, into: &out) }
            var a: Float = 0, b: Float = 0
            for r in 0..<400 {
                let x = out[2 * r], y = out[2 * r + 1]
                a += x * x
                b += y * y
            }
            return (a.squareRoot(), b.squareRoot())
        }
        let (plainA, plainB) = try rms(whitened: false), (whiteA, whiteB) = try rms(whitened: true)
        #expect(plainA > 1.5 * plainB, "\(plainA) \(plainB)")
        #expect(whiteA < 1.2 * whiteB && whiteB < 1.2 * whiteA, "\(whiteA) \(whiteB)")
    }

    @Test("a map written and read back is the same map; another file is refused with its name")
    func roundTrip() throws {
        let dir = try TemporaryDirectory("plankterm-pca")
        defer { dir.remove() }
        let rows = Self.data()
        let map = try rows.withUnsafeBufferPointer {
            try PrincipalComponents.fit(rows: $0.baseAddress!, count: 400, dimension: 6, keep: 3, whitened: true)
        }
        try map.write(to: dir.path + "/p.safetensors")
        #expect(try PrincipalComponents.read(from: dir.path + "/p.safetensors") == map)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.path + "/bad.safetensors"))
        #expect { try PrincipalComponents.read(from: dir.path + "/bad.safetensors") } throws: {
            String(describing: $0).contains(dir.path + "/bad.safetensors")
        }
    }
}
