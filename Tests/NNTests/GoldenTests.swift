import NN
import Testing

/// Numbers printed by `python3 Scripts/golden_nn.py` (numpy, float64), an implementation independent of
/// plankterm's kernels.
@Suite("Golden numbers from Scripts/golden_nn.py")
struct GoldenTests {
    @Test("conv 3×3 stride 2 → BatchNorm (training) → ReLU")
    func convBNReLU() {
        let params = ParameterSet()
        let conv = Conv2d("conv", in: 3, out: 4, kernel: 3, stride: 2, padding: 1, parameters: params)
        let bn = BatchNorm("bn", channels: 4, parameters: params)
        params.allocate(seed: 0)
        let weights = smooth(3 * 3 * 3 * 4, seed: 1.3).map { $0 * 0.5 }
        for (i, v) in weights.enumerated() { params.value(conv.weight)[i] = v }
        for j in 0..<4 {
            params.value(bn.weight)[j] = 0.5 + 0.25 * Float(j)
            params.value(bn.bias)[j] = 0.1 * Float(j) - 0.15
        }
        let x = smooth(2 * 6 * 5 * 3, seed: 0.3)
        let (ho, wo) = conv.outputSize(height: 6, width: 5)
        #expect(ho == 3 && wo == 3)
        var workspace = [Float](repeating: 0, count: conv.workspaceCount(batch: 2, height: 6, width: 5))
        var y = [Float](repeating: 0, count: 2 * ho * wo * 4)
        conv.forward(x, batch: 2, height: 6, width: 5, output: &y, parameters: params, workspace: &workspace)
        var cache = [Float](repeating: 0, count: bn.cacheCount)
        var z = [Float](repeating: 0, count: y.count)
        bn.forward(y, rows: 2 * ho * wo, output: &z, training: true, parameters: params, cache: &cache)
        ReLU.forward(z, count: z.count, output: &z)
        #expect(abs(z.reduce(0, +) - 27.003782) < 1e-3)
        let first8: [Float] = [0, 0, 0, 0, 0.516389, 0.189828, 0, 0]
        for (a, b) in zip(z.prefix(8), first8) { #expect(abs(a - b) < 1e-4) }
        let runningVar: [Float] = [0.907731, 0.912121, 0.918307, 0.913868]
        for j in 0..<4 { #expect(abs(params.stateValue(bn.runningVar)[j] - runningVar[j]) < 1e-5) }
    }

    @Test("NT-Xent on 8 views of dimension 6 at τ = 0.5")
    func ntXent() {
        let z = smooth(8 * 6, seed: 0.77)
        #expect(abs(NTXent.loss(z, views: 8, dimension: 6, temperature: 0.5, gradient: nil) - 1.963909) < 1e-5)
    }
}
