import COpenBLAS

/// Eigen-decomposition of a real symmetric matrix through LAPACK's `dsyevd` (divide and conquer, in
/// OpenBLAS).
public enum SymmetricEigen {
    public struct Failure: Error, CustomStringConvertible {
        public var info: Int
        public var description: String {
            info < 0 ? "dsyevd: argument \(-info) was not valid" : "dsyevd: \(info) eigenvalues did not converge"
        }
    }

    /// Eigenvalues of the n×n symmetric `matrix` (row-major; only its values matter, not which triangle),
    /// largest first, and the matching unit eigenvectors as the rows of an n×n row-major array. Each
    /// vector's sign is fixed so that its largest-magnitude entry is positive, which makes the result
    /// the same whichever LAPACK computed it.
    public static func decompose(_ matrix: [Double], n: Int) throws(Failure) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n && n > 0)
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var size = Int32(n), info: Int32 = 0
        let jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        // Workspace query, then the decomposition.
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workSize = [Double](repeating: 0, count: 1), iworkSize = [Int32](repeating: 0, count: 1)
        withUnsafePointer(to: jobz) { jz in
            withUnsafePointer(to: uplo) { ul in
                dsyevd_(jz, ul, &size, &a, &size, &w, &workSize, &lwork, &iworkSize, &liwork, &info, 1, 1)
            }
        }
        guard info == 0 else { throw Failure(info: Int(info)) }
        lwork = Int32(workSize[0])
        liwork = iworkSize[0]
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        withUnsafePointer(to: jobz) { jz in
            withUnsafePointer(to: uplo) { ul in
                dsyevd_(jz, ul, &size, &a, &size, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
            }
        }
        guard info == 0 else { throw Failure(info: Int(info)) }
        // LAPACK is column-major: eigenvector j is column j, i.e. a[j·n ..< (j+1)·n], ascending by value.
        var values = [Double](repeating: 0, count: n), vectors = [Double](repeating: 0, count: n * n)
        for rank in 0..<n {
            let j = n - 1 - rank
            values[rank] = w[j]
            var largest = 0
            for i in 0..<n where abs(a[j * n + i]) > abs(a[j * n + largest]) { largest = i }
            let sign: Double = a[j * n + largest] < 0 ? -1 : 1
            for i in 0..<n { vectors[rank * n + i] = sign * a[j * n + i] }
        }
        return (values, vectors)
    }
}
