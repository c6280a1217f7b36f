import Linalg
import Testing

@Suite struct SymmetricEigenTests {
    @Test("dsyevd: a diagonal matrix gives its diagonal, largest first, and unit axes")
    func diagonal() throws {
        let (values, vectors) = try SymmetricEigen.decompose([1, 0, 0, 0, 3, 0, 0, 0, 2], n: 3)
        #expect(values == [3, 2, 1])
        #expect(vectors == [0, 1, 0, 0, 0, 1, 1, 0, 0])
    }

    @Test("dsyevd: V·A·Vᵀ is diagonal and the vectors are orthonormal on a random symmetric matrix")
    func reconstructs() throws {
        let n = 17
        var a = [Double](repeating: 0, count: n * n)
        var state: UInt64 = 7
        for i in 0..<n {
            for j in i..<n {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let v = Double(state >> 11) / Double(1 << 53) - 0.5
                a[i * n + j] = v
                a[j * n + i] = v
            }
        }
        let (values, vectors) = try SymmetricEigen.decompose(a, n: n)
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
        for p in 0..<n {
            // v_p · A · v_q = λ_p δ_pq, and v_p · v_q = δ_pq
            for q in 0..<n {
                var quadratic = 0.0, dot = 0.0
                for i in 0..<n {
                    dot += vectors[p * n + i] * vectors[q * n + i]
                    for j in 0..<n { quadratic += vectors[p * n + i] * a[i * n + j] * vectors[q * n + j] }
                }
                #expect(abs(quadratic - (p == q ? values[p] : 0)) < 1e-10)
                #expect(abs(dot - (p == q ? 1 : 0)) < 1e-10)
            }
            // sign convention: the largest-magnitude entry is positive
            let row = vectors[(p * n)..<((p + 1) * n)]
            #expect(row.max()! >= -row.min()!)
        }
    }
}
