import CKernels
import Testing

/// The C loops of `Sources/CKernels` against plain Swift loops, at lengths with and without a vector tail.
@Suite("Vectorised kernels against naive loops")
struct KernelTests {
    static let lengths = [1, 7, 8, 13, 64, 67]

    func values(_ count: Int, seed: Double) -> [Float] { smooth(count, seed: seed) }

    func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    @Test("add, add + ReLU, ReLU mask, scaled copy", arguments: lengths)
    func elementwise(n: Int) {
        let x = values(n, seed: 0.3), y = values(n, seed: 1.7)
        var sum = x
        pk_add(&sum, y, n)
        #expect(sum == zip(x, y).map { $0 + $1 })
        var sumReLU = x
        pk_add_relu(&sumReLU, y, n)
        #expect(sumReLU == zip(x, y).map { max($0 + $1, 0) })
        if n >= 7 { #expect(sumReLU.contains(0) && sumReLU.contains { $0 > 0 }) }  // both sides of the kink
        var masked = x
        pk_relu_mask(&masked, y, n)
        #expect(masked == zip(x, y).map { $1 > 0 ? $0 : 0 })
        var scaled = [Float](repeating: 0, count: n)
        pk_scale_copy(&scaled, x, 0.25, n)
        #expect(scaled == x.map { $0 * 0.25 })
    }

    @Test(
        "BatchNorm rows: column sums, squared deviations, affine (+ ReLU), gradient sums and backward",
        arguments: [(rows: 3, channels: 5), (rows: 130, channels: 8), (rows: 70, channels: 19)])
    func batchNormRows(shape: (rows: Int, channels: Int)) {
        let (m, c) = shape
        let x = values(m * c, seed: 0.1), dy = values(m * c, seed: 2.9), y = values(m * c, seed: 4.4)
        let mean = values(c, seed: 3.3), invStd = values(c, seed: 5.1).map { abs($0) + 0.5 }
        let a = values(c, seed: 0.7), b = values(c, seed: 6.2), k = values(c, seed: 1.1)
        func naiveSums(_ f: (Int, Int) -> Double) -> [Double] {
            (0..<c).map { j in (0..<m).reduce(0) { $0 + f($1, j) } }
        }
        func near(_ got: [Double], _ want: [Double]) -> Bool {
            zip(got, want).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
        }
        var sums = [Double](repeating: .nan, count: c)
        pk_column_sums(x, m, c, nil, &sums)
        #expect(near(sums, naiveSums { r, j in Double(x[r * c + j]) }))
        pk_column_sums(x, m, c, mean, &sums)
        #expect(
            near(
                sums,
                naiveSums { r, j in
                    let d = Double(x[r * c + j] - mean[j])
                    return d * d
                }))

        // no activation, ReLU, ReLU6 (the clamp at 1 makes ReLU6's upper edge show on these values)
        for upper: Float in [0, .infinity, 1] {
            var out = [Float](repeating: .nan, count: m * c)
            pk_affine(x, m, c, a, b, upper, &out)
            let want = (0..<m * c).map { i in
                let v = x[i] * a[i % c] + b[i % c]
                return upper > 0 ? min(max(v, 0), upper) : v
            }
            #expect(close(out, want))
        }

        for (masked, upper) in [(false, Float.infinity), (true, .infinity), (true, 0.5)] {
            func g(_ i: Int) -> Float { masked && !(y[i] > 0 && y[i] < upper) ? 0 : dy[i] }
            var gradSums = [Double](repeating: .nan, count: 2 * c)
            y.withUnsafeBufferPointer { yp in
                pk_norm_gradient_sums(x, dy, masked ? yp.baseAddress : nil, upper, m, c, mean, invStd, &gradSums)
            }
            let wantDy = naiveSums { r, j in Double(g(r * c + j)) }
            let wantDyXhat = naiveSums { r, j in
                Double(g(r * c + j)) * Double((x[r * c + j] - mean[j]) * invStd[j])
            }
            #expect(near(gradSums, wantDy + wantDyXhat))
            var dx = [Float](repeating: .nan, count: m * c)
            y.withUnsafeBufferPointer { yp in
                pk_norm_backward(x, dy, masked ? yp.baseAddress : nil, upper, m, c, a, b, k, &dx)
            }
            #expect(close(dx, (0..<m * c).map { i in a[i % c] * g(i) + b[i % c] * x[i] + k[i % c] }, 1e-5))
        }
    }
}
