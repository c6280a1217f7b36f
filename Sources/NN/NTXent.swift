import Foundation
import Linalg

/// SimCLR's NT-Xent loss (METHODS §2) and its gradient.
///
/// z [2N, D]: rows i and i + N are the two views of image i. ẑ = z/‖z‖, s_ij = ẑ_i·ẑ_j / τ,
/// ℓ_i = −s_{i,j(i)} + log Σ_{k≠i} exp(s_ik), L = mean over the 2N views.
public enum NTXent {
    /// The loss, and dL/dz written into `gradient` ([2N, D]) when given.
    public static func loss(
        _ z: UnsafePointer<Float>, views: Int, dimension d: Int, temperature: Float,
        gradient: UnsafeMutablePointer<Float>?
    ) -> Float {
        precondition(views % 2 == 0 && views >= 2, "NT-Xent needs pairs of views")
        let n2 = views, half = views / 2
        var norms = [Float](repeating: 0, count: n2)
        var zhat = [Float](repeating: 0, count: n2 * d)
        for i in 0..<n2 {
            var s: Float = 0
            for k in 0..<d { s += z[i * d + k] * z[i * d + k] }
            norms[i] = max(s.squareRoot(), 1e-12)
            for k in 0..<d { zhat[i * d + k] = z[i * d + k] / norms[i] }
        }
        var sim = [Float](repeating: 0, count: n2 * n2)
        zhat.withUnsafeBufferPointer { zh in
            sim.withUnsafeMutableBufferPointer { s in
                Gemm.sgemm(
                    m: n2, n: n2, k: d, a: zh.baseAddress!, b: zh.baseAddress!, transB: true,
                    c: s.baseAddress!, alpha: 1 / temperature)
            }
        }
        // Row-wise softmax over k ≠ i; G = dL/ds.
        var total: Double = 0
        var g = [Float](repeating: 0, count: n2 * n2)
        for i in 0..<n2 {
            let partner = i < half ? i + half : i - half
            var maxValue = -Float.infinity
            for k in 0..<n2 where k != i { maxValue = max(maxValue, sim[i * n2 + k]) }
            var sum: Double = 0
            for k in 0..<n2 where k != i { sum += Double(exp(sim[i * n2 + k] - maxValue)) }
            let logSum = Double(maxValue) + log(sum)
            total += logSum - Double(sim[i * n2 + partner])
            for k in 0..<n2 where k != i {
                let p = Float(exp(Double(sim[i * n2 + k]) - logSum))
                g[i * n2 + k] = (p - (k == partner ? 1 : 0)) / Float(n2)
            }
        }
        if let gradient {
            // dẑ_i = (1/τ) Σ_k (G_ik + G_ki) ẑ_k ; dz_i = (dẑ_i − ẑ_i (ẑ_i·dẑ_i)) / ‖z_i‖
            var sym = [Float](repeating: 0, count: n2 * n2)
            for i in 0..<n2 { for k in 0..<n2 { sym[i * n2 + k] = g[i * n2 + k] + g[k * n2 + i] } }
            var dzhat = [Float](repeating: 0, count: n2 * d)
            sym.withUnsafeBufferPointer { s in
                zhat.withUnsafeBufferPointer { zh in
                    dzhat.withUnsafeMutableBufferPointer { dz in
                        Gemm.sgemm(
                            m: n2, n: d, k: n2, a: s.baseAddress!, b: zh.baseAddress!, c: dz.baseAddress!,
                            alpha: 1 / temperature)
                    }
                }
            }
            for i in 0..<n2 {
                var dot: Float = 0
                for k in 0..<d { dot += zhat[i * d + k] * dzhat[i * d + k] }
                for k in 0..<d { gradient[i * d + k] = (dzhat[i * d + k] - zhat[i * d + k] * dot) / norms[i] }
            }
        }
        return Float(total / Double(n2))
    }
}
