import COpenBLAS
import Foundation

/// Matrix products on row-major `Float` buffers: OpenBLAS, and a naive reference beside it.
///
/// Shapes: `a` is m×k, `b` is k×n, `c` is m×n; `transA`/`transB` read `a`/`b` transposed (then `a` is
/// stored k×m, `b` n×k). Computes `c = alpha · op(a) · op(b) + beta · c`.
public enum Gemm {
    /// `c = alpha · op(a) · op(b) + beta · c` through `cblas_sgemm`.
    public static func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool = false,
        b: UnsafePointer<Float>, transB: Bool = false, c: UnsafeMutablePointer<Float>,
        alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
            beta, c, Int32(n))
    }

    /// The same product with three loops, for tests.
    public static func naive(
        m: Int, n: Int, k: Int, a: [Float], transA: Bool = false, b: [Float],
        transB: Bool = false, c: inout [Float], alpha: Float = 1, beta: Float = 0
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    sum += av * bv
                }
                c[i * n + j] = alpha * sum + beta * c[i * n + j]
            }
        }
    }

    /// Sets how many threads OpenBLAS computes on (`--threads`). Inside a `singleThreaded` section it
    /// stays at one until the last such section ends. Lane and part counts are not sized by it: their
    /// callers pass them explicitly.
    public static func setThreads(_ count: Int) {
        threadState.lock.withLock {
            threadState.configured = max(1, count)
            if threadState.singleThreadedSections == 0 { openblas_set_num_threads(Int32(threadState.configured)) }
        }
    }

    /// Runs `body` with OpenBLAS on one thread (the caller brings its own parallelism), then gives OpenBLAS
    /// back the configured count once no other section still needs one thread. Sections on different
    /// threads nest safely; `threads` keeps answering the configured count throughout.
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        threadState.lock.withLock {
            threadState.singleThreadedSections += 1
            openblas_set_num_threads(1)
        }
        defer {
            threadState.lock.withLock {
                threadState.singleThreadedSections -= 1
                if threadState.singleThreadedSections == 0 {
                    openblas_set_num_threads(Int32(threadState.configured))
                }
            }
        }
        return try body()
    }

    /// OpenBLAS's description of its build and the kernel it picked for this CPU.
    public static var configuration: String { String(cString: openblas_get_config()) }
}

extension Gemm {
    /// `c = alpha · op(a) · op(b) + beta · c` in double precision through `cblas_dgemm`; shapes as `sgemm`.
    public static func dgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Double>, transA: Bool = false,
        b: UnsafePointer<Double>, transB: Bool = false, c: UnsafeMutablePointer<Double>,
        alpha: Double = 1, beta: Double = 0
    ) {
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
            beta, c, Int32(n))
    }

    /// The threads the program computes on: what `setThreads` last set, else OpenBLAS's own default
    /// (`OPENBLAS_NUM_THREADS` or the cores). Not lowered by `singleThreaded` sections.
    public static var threads: Int { threadState.lock.withLock { threadState.configured } }
}

/// The configured thread count and how many single-threaded sections are open, under one lock.
private final class GemmThreadState: @unchecked Sendable {
    let lock = NSLock()
    var configured = max(1, Int(openblas_get_num_threads()))
    var singleThreadedSections = 0
}

private let threadState = GemmThreadState()
