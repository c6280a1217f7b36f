import Linalg
import Testing

@Suite struct GemmTests {
    @Test(
        "OpenBLAS sgemm matches the naive product, every transpose",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesNaive(transA: Bool, transB: Bool) {
        let m = 13, n = 7, k = 29
        let a = (0..<(m * k)).map { Float(($0 * 31) % 17) / 17 - 0.5 }
        let b = (0..<(k * n)).map { Float(($0 * 13) % 11) / 11 - 0.5 }
        var fast = (0..<(m * n)).map { Float($0) / 10 }
        var slow = fast
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pc in
                    Gemm.sgemm(
                        m: m, n: n, k: k, a: pa.baseAddress!, transA: transA, b: pb.baseAddress!,
                        transB: transB, c: pc.baseAddress!, alpha: 0.5, beta: 2)
                }
            }
        }
        Gemm.naive(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB, c: &slow, alpha: 0.5, beta: 2)
        for (x, y) in zip(fast, slow) { #expect(abs(x - y) < 1e-4) }
    }
}
