import Foundation
import NN
import PlanktermCore
import TestSupport
import Testing

/// EfficientNet-Lite0 at `side` with a small projection head (the tests' cost is the network's).
func liteConfig(side: Int = 64) -> EncoderConfig {
    var c = EncoderConfig.efficientNetLite0(side: side)
    c.projectionHidden = 6
    c.projectionOut = 4
    return c
}

@Suite("Depthwise convolution, ReLU6 and EfficientNet-Lite0")
struct EfficientNetTests {
    @Test(
        "DepthwiseConv2d: forward against a direct sum; input and weight gradients against finite differences",
        arguments: [(3, 1, 1, 1), (3, 2, 0, 1), (5, 2, 1, 2), (5, 1, 2, 2)])
    func depthwise(kernel: Int, stride: Int, before: Int, after: Int) {
        let params = ParameterSet()
        let c = 11  // past one AVX vector, with a remainder
        let conv = DepthwiseConv2d(
            "dw", channels: c, kernel: kernel, stride: stride, padding: before,
            paddingAfter: after, parameters: params)
        params.allocate(seed: 5)
        let (n, h, w) = (2, 7, 6)
        var x = smooth(n * h * w * c, seed: 0.4)
        let (ho, wo) = conv.outputSize(height: h, width: w)
        #expect(ho == (h + before + after - kernel) / stride + 1)
        let r = smooth(n * ho * wo * c, seed: 1.1)
        func run() -> [Float] {
            var out = [Float](repeating: .nan, count: n * ho * wo * c)
            conv.forward(x, batch: n, height: h, width: w, output: &out, parameters: params)
            return out
        }
        let out = run()
        let wt = params.value(conv.weight)
        var worst: Float = 0
        for b in 0..<n {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    for j in 0..<c {
                        var s: Float = 0
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let iy = oy * stride - before + ky, ix = ox * stride - before + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                s += x[((b * h + iy) * w + ix) * c + j] * wt[(ky * kernel + kx) * c + j]
                            }
                        }
                        worst = max(worst, abs(out[((b * ho + oy) * wo + ox) * c + j] - s))
                    }
                }
            }
        }
        #expect(worst < 1e-5)

        params.zeroGradients()
        var dx = [Float](repeating: .nan, count: x.count)
        conv.backward(x, gradOutput: r, batch: n, height: h, width: w, gradInput: &dx, parameters: params)
        expectGradient(dx, perturb: { i, d in x[i] += d }, loss: { projection(run(), r) }, "depthwise dx")
        let dw = Array(UnsafeBufferPointer(start: params.gradient(conv.weight), count: conv.weight.count))
        expectGradient(dw, perturb: { i, d in wt[i] += d }, loss: { projection(run(), r) }, "depthwise dW")
    }

    @Test("TensorFlow 'same' padding: ⌈n / s⌉ outputs, the odd pixel after")
    func samePadding() {
        #expect(Conv2d.samePadding(size: 128, kernel: 3, stride: 2) == (0, 1))
        #expect(Conv2d.samePadding(size: 32, kernel: 5, stride: 2) == (1, 2))
        #expect(Conv2d.samePadding(size: 7, kernel: 3, stride: 2) == (1, 1))
        #expect(Conv2d.samePadding(size: 16, kernel: 5, stride: 1) == (2, 2))
    }

    @Test("ReLU6 forward and backward: clamped at 0 and 6, gradient only strictly between")
    func relu6() {
        let x: [Float] = [-1, 0, 0.5, 5.9, 6, 7.5]
        var y = [Float](repeating: .nan, count: x.count)
        ReLU6.forward(x, count: x.count, output: &y)
        #expect(y == [0, 0, 0.5, 5.9, 6, 6])
        var g: [Float] = [1, 1, 1, 1, 1, 1]
        ReLU6.backward(output: y, gradOutput: g, count: g.count, gradInput: &g)
        #expect(g == [0, 0, 1, 1, 0, 0])
    }

    @Test("EfficientNet-Lite0: 16 MBConv blocks, 1,280-d embedding, the upstream parameter count")
    func shape() {
        let encoder = Encoder(EncoderConfig.efficientNetLite0(side: 128), seed: 0)
        #expect(encoder.config.embeddingDimension == 1280)
        // efficientnet_lite_pytorch's EfficientNet-Lite0 has 4,652,008 parameters, 1,281,000 of them in
        // its ImageNet classifier, which plankterm does not have; grey input sums the stem's RGB filters.
        #expect(encoder.encoderParameterCount == 4_652_008 - 1_281_000 - 2 * 32 * 9)  // and one stem filter of three
        #expect(EncoderWorkspace(encoder: encoder, batch: 1, lanes: 1).lastStageFirstBlock == 15)
        // about 0.4 G multiply-adds at 224 px (0.8 GFLOPs), scaled by (128/224)² at 128
        #expect(encoder.forwardFLOPs > 220_000_000 && encoder.forwardFLOPs < 300_000_000, "\(encoder.forwardFLOPs)")
    }

    @Test("BatchNorm → ReLU6 (training): input, γ and β gradients against finite differences")
    func batchNormReLU6() {
        let params = ParameterSet()
        let bn = BatchNorm("bn", channels: 3, parameters: params)
        params.allocate(seed: 2)
        let gamma = params.value(bn.weight), beta = params.value(bn.bias)
        // γ large enough that some outputs pass 6 and some fall below 0: both edges of the clamp are met
        for j in 0..<3 { gamma[j] = 3 + Float(j); beta[j] = 2 + Float(j) }
        let m = 12
        var x = smooth(m * 3, seed: 0.9).enumerated().map { $0.element * Float(1 + $0.offset % 3) + 0.2 }
        let r = smooth(m * 3, seed: 2.2)
        var cache = [Float](repeating: 0, count: bn.cacheCount)
        func run() -> [Float] {
            var y = [Float](repeating: 0, count: m * 3)
            bn.forward(
                x, rows: m, totalRows: m, output: &y, training: true, activation: .relu6, parameters: params,
                cache: &cache, lane: .alone)
            return y
        }
        let y = run()
        #expect(y.contains(6) && y.contains(0) && y.contains { $0 > 0 && $0 < 6 })
        params.zeroGradients()
        var dx = [Float](repeating: 0, count: x.count)
        bn.backward(
            x, gradOutput: r, reluOutput: y, activation: .relu6, rows: m, totalRows: m, gradInput: &dx,
            parameters: params, cache: cache, lane: .alone)
        expectGradient(dx, perturb: { i, d in x[i] += d }, loss: { projection(run(), r) }, epsilon: 1e-3, "bn+relu6 dx")
        let dg = Array(UnsafeBufferPointer(start: params.gradient(bn.weight), count: 3))
        expectGradient(
            dg, perturb: { i, d in gamma[i] += d }, loss: { projection(run(), r) }, epsilon: 1e-3, "bn+relu6 dγ")
        let db = Array(UnsafeBufferPointer(start: params.gradient(bn.bias), count: 3))
        expectGradient(
            db, perturb: { i, d in beta[i] += d }, loss: { projection(run(), r) }, epsilon: 1e-3, "bn+relu6 dβ")
    }

    @Test(
        "backward equals PyTorch autograd on the same weights and batch (training mode, every parameter)",
        .enabled(if: torchPython != nil, "torch is not importable"), .tags(.slow))
    func gradientParity() throws {
        let encoder = Encoder(liteConfig(side: 64), seed: 17)
        let batch = 4
        let ws = EncoderWorkspace(encoder: encoder, batch: batch, lanes: 2)
        let x = smooth(ws.input.count, seed: 0.25).map { ($0 + 1) / 2 }
        for i in 0..<x.count { ws.input[i] = x[i] }
        let r = smooth(ws.projection.count, seed: 0.65)
        let dir = NSTemporaryDirectory() + "plankterm-lite-grad-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try encoder.save(to: dir + "/enc.safetensors")  // before the pass: its running statistics move
        encoder.parameters.zeroGradients()
        ws.forward(training: true, head: true)
        ws.backward(gradProjection: r)
        try Data(bytes: ws.input.pointer, count: 4 * ws.input.count).write(to: URL(fileURLWithPath: dir + "/x.f32"))
        try r.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/r.f32")) }
        func torchGradients(double: Bool) throws -> [String: SafeTensors.Tensor] {
            let out = dir + (double ? "/g64.safetensors" : "/g32.safetensors")
            let p = try ChildProcess(
                [
                    torchPython!, scriptsFolder + "/simclr_torch.py", "grad", "--weights", dir + "/enc.safetensors",
                    "--input", dir + "/x.f32", "--r", dir + "/r.f32", "--shape", "\(batch),64,64,1",
                    "--out", out
                ] + (double ? ["--double"] : []), stdout: .inherit, stderr: .inherit)
            #expect(p.wait() == 0)
            return try SafeTensors.read(path: out).tensors
        }
        // The truth is PyTorch in float64. A randomly initialised network on a small batch is badly
        // conditioned (PyTorch's own float32 gradients differ from its float64 ones by up to tens of per
        // cent in some tensors), so each tensor's error is judged against PyTorch float32's on it.
        let exact = try torchGradients(double: true), torch32 = try torchGradients(double: false)
        // Compare in PyTorch's layouts: put our gradients where the weights were and take the state dict.
        let mirror = Encoder(encoder.config, seed: 0)
        mirror.parameters.values.pointer.update(
            from: encoder.parameters.gradients.pointer, count: encoder.parameters.count)
        let ours = mirror.stateDict()
        var worstOurs: Float = 0, worstTorch: Float = 0
        for view in encoder.parameters.parameters {
            let t = try #require(exact[view.name], "\(view.name)"), t32 = try #require(torch32[view.name])
            let o = try #require(ours[view.name])
            #expect(t.shape == o.shape, "\(view.name)")
            let scale = max(1e-3, t.values.map { abs($0) }.max() ?? 0)
            let ourError = zip(t.values, o.values).map { abs($0 - $1) }.max()! / scale
            let torchError = zip(t.values, t32.values).map { abs($0 - $1) }.max()! / scale
            #expect(ourError <= 3 * torchError + 2e-3, "\(view.name): ours \(ourError), PyTorch float32 \(torchError)")
            worstOurs = max(worstOurs, ourError)
            worstTorch = max(worstTorch, torchError)
        }
        #expect(worstOurs <= 2 * worstTorch + 1e-3, "worst: ours \(worstOurs), PyTorch float32 \(worstTorch)")
    }

    @Test("a partial fine-tune's backward reaches the last stage and the head only")
    func partialBackward() {
        let encoder = Encoder(liteConfig(), seed: 3)
        let ws = EncoderWorkspace(encoder: encoder, batch: 2, lanes: 2)
        let x = smooth(ws.input.count, seed: 0.1).map { ($0 + 1) / 2 }
        for i in 0..<x.count { ws.input[i] = x[i] }
        let first = ws.lastStageFirstBlock
        encoder.parameters.zeroGradients()
        ws.forward(training: true, head: false, trainingFrom: first)
        ws.backward(gradEmbedding: smooth(ws.embedding.count, seed: 0.3), firstBlock: first)
        let g = encoder.parameters
        for view in g.parameters where !view.name.hasPrefix("proj.") {
            let touched = (0..<view.count).contains { g.gradient(view)[$0] != 0 }
            let trained =
                view.name.hasPrefix("_blocks.15.") || view.name.hasPrefix("_conv_head") || view.name.hasPrefix("_bn1.")
            #expect(touched == trained, "\(view.name)")
            #expect(encoder.isInLastStage(view.name) == trained, "\(view.name)")
        }
    }

    @Test("lanes split the batch without changing the result: training forward, statistics and gradients")
    func lanesAgree() {
        // side 64: at 32 px the last stages are 1×1 and batch statistics of 5 rows amplify rounding
        var results: [(embedding: [Float], gradients: [Float], states: [Float])] = []
        var names: [(String, Int)] = []
        for lanes in [1, 3] {
            let encoder = Encoder(liteConfig(), seed: 13)
            let ws = EncoderWorkspace(encoder: encoder, batch: 5, lanes: lanes)
            let x = smooth(ws.input.count, seed: 0.8).map { ($0 + 1) / 2 }
            for i in 0..<x.count { ws.input[i] = x[i] }
            encoder.parameters.zeroGradients()
            for seed in [2.2, 3.1] {
                ws.forward(training: true, head: true)
                ws.backward(gradProjection: smooth(ws.projection.count, seed: seed))
            }
            results.append(
                (ws.embedding.array, encoder.parameters.gradients.array, encoder.parameters.stateValues.array))
            if lanes == 3 { names = encoder.parameters.parameters.map { ($0.name, $0.count) } }
        }
        func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0 }
        #expect(worst(results[0].embedding, results[1].embedding) < 1e-4)
        // Gradients: judged per tensor, as the difference's norm against the tensor's. Batch statistics of
        // 5 images through 17 BatchNorms are ill-conditioned, so the summation order (one lane vs three,
        // and the machine's BLAS kernel) moves single elements of float32 gradients by up to 0.5 % of their
        // tensor's largest entry (AMD EPYC, OpenBLAS Zen); a lane that dropped or doubled a share of the
        // batch moves whole tensors by tens of percent. (1e-4: tensors whose gradient is all but zero.)
        var offset = 0
        for (name, count) in names {
            let a = results[0].gradients[offset..<offset + count], b = results[1].gradients[offset..<offset + count]
            let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let diff = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            #expect(diff <= 1e-2 * norm + 1e-4, "\(name): |Δ| \(diff) of |g| \(norm)")
            offset += count
        }
        #expect(worst(results[0].states, results[1].states) < 1e-4)
        #expect(results[0].gradients.contains { $0 != 0 })
    }

    @Test("save and load keep every tensor (depthwise filters in PyTorch's [C, 1, k, k]); old files read as a ResNet")
    func roundTrip() throws {
        let encoder = Encoder(liteConfig(side: 64), seed: 4)
        let dict = encoder.stateDict()
        #expect(dict["_blocks.3._depthwise_conv.weight"]?.shape == [144, 1, 5, 5])
        #expect(dict["_conv_stem.weight"]?.shape == [32, 1, 3, 3])
        let path = NSTemporaryDirectory() + "plankterm-lite-\(UUID().uuidString.prefix(6)).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try encoder.save(to: path)
        let (loaded, _) = try Encoder.load(from: path)
        #expect(loaded.config == encoder.config)
        #expect(loaded.parameters.values.array == encoder.parameters.values.array)
        #expect(loaded.parameters.stateValues.array == encoder.parameters.stateValues.array)

        let old =
            #"{"blocksPerStage":1,"inChannels":1,"projectionHidden":0,"projectionOut":128,"side":64,"stemStride":2,"strides":[1,2,2,2],"widths":[32,64,128,256]}"#
        let config = try JSONDecoder().decode(EncoderConfig.self, from: Data(old.utf8))
        #expect(config == EncoderConfig())
        #expect(config.architecture == .resnet && config.inputScale == 1)
    }
}
