import Foundation
import NN
import PlanktermCore
import Testing

/// Deterministic values in [-1, 1] that stay away from 0 (ReLU and max-pool kinks).
func smooth(_ count: Int, seed: Double) -> [Float] {
    (0..<count).map { i in
        let v = sin(Double(i) * 0.731 + seed) * 0.9
        return Float(v >= 0 ? v + 0.1 : v - 0.1) * 0.9
    }
}

/// Compares an analytic gradient with central finite differences of a scalar loss.
///
/// `perturb(i, delta)` moves the i-th input by delta; `loss()` recomputes the loss.
func expectGradient(
    _ analytic: [Float], perturb: (Int, Float) -> Void, loss: () -> Double,
    epsilon: Float = 1e-2, tolerance: Double = 2e-2, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var worst = 0.0
    for i in 0..<analytic.count {
        perturb(i, epsilon)
        let up = loss()
        perturb(i, -2 * epsilon)
        let down = loss()
        perturb(i, epsilon)
        let numeric = (up - down) / (2 * Double(epsilon))
        let error = abs(numeric - Double(analytic[i])) / max(1, abs(numeric))
        worst = max(worst, error)
    }
    #expect(worst < tolerance, "\(what): worst relative error \(worst)", sourceLocation: sourceLocation)
}

/// Σ out_i · r_i with fixed r: a loss whose gradient with respect to out is r.
func projection(_ out: [Float], _ r: [Float]) -> Double {
    zip(out, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

@Suite("Layer backward passes against finite differences")
struct LayerGradientTests {
    @Test(
        "Conv2d: 3×3 same, 3×3 stride 2, 1×1 — input and weight gradients, chunked GEMM",
        arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (1, 2, 0)])
    func conv(kernel: Int, stride: Int, padding: Int) {
        let params = ParameterSet()
        var conv = Conv2d("conv", in: 3, out: 4, kernel: kernel, stride: stride, padding: padding, parameters: params)
        conv.rowsPerChunk = 7  // force several chunks
        params.allocate(seed: 1)
        let (n, h, w) = (2, 5, 6)
        var x = smooth(n * h * w * 3, seed: 0.3)
        let (ho, wo) = conv.outputSize(height: h, width: w)
        let r = smooth(n * ho * wo * 4, seed: 1.7)
        var workspace = [Float](repeating: 0, count: max(1, conv.workspaceCount(batch: n, height: h, width: w)))
        func run() -> [Float] {
            var out = [Float](repeating: 0, count: n * ho * wo * 4)
            conv.forward(x, batch: n, height: h, width: w, output: &out, parameters: params, workspace: &workspace)
            return out
        }
        // forward against a direct convolution
        let out = run()
        let wt = params.value(conv.weight)
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    for co in 0..<4 {
                        var s: Float = 0
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                for ci in 0..<3 {
                                    s +=
                                        x[((b * h + iy) * w + ix) * 3 + ci] * wt[((ky * kernel + kx) * 3 + ci) * 4 + co]
                                }
                            }
                        }
                        #expect(abs(out[((b * ho + oy) * wo + ox) * 4 + co] - s) < 1e-4)
                    }
                }
            }
        }

        params.zeroGradients()
        var dx = [Float](repeating: 0, count: x.count)
        conv.backward(
            x, gradOutput: r, batch: n, height: h, width: w, gradInput: &dx, parameters: params,
            workspace: &workspace)
        expectGradient(dx, perturb: { i, d in x[i] += d }, loss: { projection(run(), r) }, "conv dx")
        let dw = Array(UnsafeBufferPointer(start: params.gradient(conv.weight), count: conv.weight.count))
        expectGradient(dw, perturb: { i, d in wt[i] += d }, loss: { projection(run(), r) }, "conv dW")
    }

    @Test("BatchNorm (training): input, γ and β gradients; running statistics move by the momentum")
    func batchNorm() {
        let params = ParameterSet()
        let bn = BatchNorm("bn", channels: 3, parameters: params)
        params.allocate(seed: 2)
        let gamma = params.value(bn.weight), beta = params.value(bn.bias)
        for j in 0..<3 { gamma[j] = 0.5 + Float(j) * 0.4; beta[j] = Float(j) * 0.1 - 0.1 }
        let m = 10
        var x = smooth(m * 3, seed: 0.9).enumerated().map { $0.element * Float(1 + $0.offset % 3) + 0.2 }
        let r = smooth(m * 3, seed: 2.2)
        var cache = [Float](repeating: 0, count: bn.cacheCount)
        func run() -> [Float] {
            var y = [Float](repeating: 0, count: m * 3)
            bn.forward(x, rows: m, output: &y, training: true, parameters: params, cache: &cache)
            return y
        }
        let y = run()
        // normalised output: per channel mean β, and (biased) std γ
        for j in 0..<3 {
            let column = (0..<m).map { Double(y[$0 * 3 + j]) }
            let mean = column.reduce(0, +) / Double(m)
            let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)).squareRoot()
            #expect(abs(mean - Double(beta[j])) < 1e-5 && abs(std - Double(gamma[j])) < 1e-3)
        }
        params.zeroGradients()
        _ = run()
        var dx = [Float](repeating: 0, count: x.count)
        bn.backward(x, gradOutput: r, rows: m, gradInput: &dx, parameters: params, cache: cache)
        expectGradient(dx, perturb: { i, d in x[i] += d }, loss: { projection(run(), r) }, "bn dx")
        let dg = Array(UnsafeBufferPointer(start: params.gradient(bn.weight), count: 3))
        expectGradient(dg, perturb: { i, d in gamma[i] += d }, loss: { projection(run(), r) }, "bn dγ")
        let db = Array(UnsafeBufferPointer(start: params.gradient(bn.bias), count: 3))
        expectGradient(db, perturb: { i, d in beta[i] += d }, loss: { projection(run(), r) }, "bn dβ")

        // evaluation mode uses the running statistics
        let fresh = ParameterSet()
        let bn2 = BatchNorm("bn", channels: 1, parameters: fresh)
        fresh.allocate(seed: 0)
        var c2 = [Float](repeating: 0, count: 2)
        var out = [Float](repeating: 0, count: 4)
        bn2.forward([1, 2, 3, 4], rows: 4, output: &out, training: true, parameters: fresh, cache: &c2)
        #expect(abs(fresh.stateValue(bn2.runningMean)[0] - 0.25) < 1e-6)  // 0.9·0 + 0.1·2.5
        #expect(abs(fresh.stateValue(bn2.runningVar)[0] - (0.9 + 0.1 * 5 / 3)) < 1e-6)  // unbiased var 5/3
        bn2.forward([0.25], rows: 1, output: &out, training: false, parameters: fresh, cache: &c2)
        #expect(abs(out[0]) < 1e-6)
    }

    @Test("Linear, ReLU, global average pooling and max pooling")
    func smallLayers() {
        let params = ParameterSet()
        let fc = Linear("fc", in: 5, out: 3, parameters: params)
        params.allocate(seed: 3)
        var x = smooth(4 * 5, seed: 0.1)
        let r = smooth(4 * 3, seed: 0.5)
        func runFC() -> [Float] {
            var y = [Float](repeating: 0, count: 12)
            fc.forward(x, batch: 4, output: &y, parameters: params)
            return y
        }
        params.zeroGradients()
        var dx = [Float](repeating: 0, count: 20)
        fc.backward(x, gradOutput: r, batch: 4, gradInput: &dx, parameters: params)
        expectGradient(dx, perturb: { i, d in x[i] += d }, loss: { projection(runFC(), r) }, "linear dx")
        let w = params.value(fc.weight), b = params.value(fc.bias!)
        expectGradient(
            Array(UnsafeBufferPointer(start: params.gradient(fc.weight), count: 15)),
            perturb: { i, d in w[i] += d }, loss: { projection(runFC(), r) }, "linear dW")
        expectGradient(
            Array(UnsafeBufferPointer(start: params.gradient(fc.bias!), count: 3)),
            perturb: { i, d in b[i] += d }, loss: { projection(runFC(), r) }, "linear db")

        var v = smooth(24, seed: 0.4)
        let rv = smooth(24, seed: 1.1)
        func runReLU() -> [Float] {
            var y = [Float](repeating: 0, count: 24)
            ReLU.forward(v, count: 24, output: &y)
            return y
        }
        var dv = [Float](repeating: 0, count: 24)
        ReLU.backward(output: runReLU(), gradOutput: rv, count: 24, gradInput: &dv)
        expectGradient(dv, perturb: { i, d in v[i] += d }, loss: { projection(runReLU(), rv) }, "relu")

        // GAP over [2, 3, 2, 4]
        var g = smooth(48, seed: 0.8)
        let rg = smooth(8, seed: 0.2)
        func runGAP() -> [Float] {
            var y = [Float](repeating: 0, count: 8)
            GlobalAveragePool.forward(g, batch: 2, pixels: 6, channels: 4, output: &y)
            return y
        }
        var dg = [Float](repeating: 0, count: 48)
        GlobalAveragePool.backward(gradOutput: rg, batch: 2, pixels: 6, channels: 4, gradInput: &dg)
        expectGradient(dg, perturb: { i, d in g[i] += d }, loss: { projection(runGAP(), rg) }, "gap")

        // max pool 3×3 stride 2 pad 1 over [1, 5, 5, 2]
        let pool = MaxPool(window: 3, stride: 2, padding: 1)
        var p = (0..<50).map { Float(($0 * 37) % 50) / 25 - 1 }  // distinct values: no ties
        let (ho, wo) = pool.outputSize(height: 5, width: 5)
        let rp = smooth(ho * wo * 2, seed: 0.6)
        var argmax = [Int32](repeating: 0, count: ho * wo * 2)
        func runPool() -> [Float] {
            var y = [Float](repeating: 0, count: ho * wo * 2)
            pool.forward(p, batch: 1, height: 5, width: 5, channels: 2, output: &y, argmax: &argmax)
            return y
        }
        _ = runPool()
        var dp = [Float](repeating: 0, count: 50)
        pool.backward(gradOutput: rp, outputCount: ho * wo * 2, argmax: argmax, inputCount: 50, gradInput: &dp)
        expectGradient(
            dp, perturb: { i, d in p[i] += d }, loss: { projection(runPool(), rp) },
            epsilon: 1e-3, "maxpool")
    }

    @Test("average pooling 3×3 stride 2 pad 1: gradient, and a constant stays constant inside")
    func avgPool() {
        let pool = AvgPool(window: 3, stride: 2, padding: 1)
        var x = smooth(2 * 5 * 6 * 3, seed: 0.15)
        let (ho, wo) = pool.outputSize(height: 5, width: 6)
        let r = smooth(2 * ho * wo * 3, seed: 0.65)
        func run() -> [Float] {
            var y = [Float](repeating: 0, count: 2 * ho * wo * 3)
            pool.forward(x, batch: 2, height: 5, width: 6, channels: 3, output: &y)
            return y
        }
        var dx = [Float](repeating: 0, count: x.count)
        pool.backward(gradOutput: r, batch: 2, height: 5, width: 6, channels: 3, gradInput: &dx)
        expectGradient(dx, perturb: { i, d in x[i] += d }, loss: { projection(run(), r) }, "avgpool")
        var y = [Float](repeating: 0, count: 9)
        AvgPool(window: 3, stride: 1).forward(
            [Float](repeating: 2, count: 25), batch: 1, height: 5, width: 5,
            channels: 1, output: &y)
        #expect(y.allSatisfy { abs($0 - 2) < 1e-6 })
    }

    @Test("NT-Xent: gradient against finite differences")
    func ntXent() {
        var z = smooth(6 * 5, seed: 0.35)
        var grad = [Float](repeating: 0, count: z.count)
        _ = NTXent.loss(z, views: 6, dimension: 5, temperature: 0.5, gradient: &grad)
        expectGradient(
            grad, perturb: { i, d in z[i] += d },
            loss: { Double(NTXent.loss(z, views: 6, dimension: 5, temperature: 0.5, gradient: nil)) },
            epsilon: 1e-3, "nt-xent")
    }

    @Test("optimizers: AdamW's first step moves each weight by lr·sign(g); the schedule warms up then decays")
    func optimizers() {
        let params = ParameterSet()
        let v = params.parameter("w", shape: [3], initializer: .constant(1))
        params.allocate(seed: 0)
        let g = params.gradient(v)
        g[0] = 2; g[1] = -0.5; g[2] = 0
        var adam = Optimizer(.adamW, parameterCount: 3, weightDecay: 0.1)
        adam.update(params, learningRate: 0.01)
        let w = params.value(v)
        #expect(abs(w[0] - (1 - 0.001 - 0.01)) < 1e-5)
        #expect(abs(w[1] - (1 - 0.001 + 0.01)) < 1e-5)
        #expect(abs(w[2] - (1 - 0.001)) < 1e-5)
        let before = w[0]
        var sgd = Optimizer(.sgdMomentum, parameterCount: 3)
        sgd.update(params, learningRate: 0.1)  // velocity 2: −0.2
        sgd.update(params, learningRate: 0.1)  // velocity 0.9·2 + 2 = 3.8: −0.38
        #expect(abs(w[0] - (before - 0.58)) < 1e-5)

        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 110)
        #expect(abs(schedule.rate(at: 0) - 1e-4) < 1e-9)
        #expect(abs(schedule.rate(at: 9) - 1e-3) < 1e-9)
        #expect(abs(schedule.rate(at: 60) - 5e-4) < 1e-8)
        #expect(schedule.rate(at: 110) < 1e-9)
    }
}
