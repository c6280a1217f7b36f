import NN
import PlanktermCore
import Testing

func tinyConfig() -> EncoderConfig {
    var c = EncoderConfig()
    c.side = 8
    c.widths = [3, 4]
    c.strides = [1, 2]
    c.stemStride = 1
    c.projectionHidden = 5
    c.projectionOut = 3
    return c
}

@Suite("The ResNet encoder")
struct EncoderTests {
    @Test("whole-network backward (training mode, with head) against finite differences", arguments: [1, 2])
    func gradient(lanes: Int) {
        let encoder = Encoder(tinyConfig(), seed: 4)
        let ws = EncoderWorkspace(encoder: encoder, batch: 3, lanes: lanes)
        let x = smooth(ws.input.count, seed: 0.2)
        for i in 0..<x.count { ws.input[i] = x[i] }
        let r = smooth(ws.projection.count, seed: 0.9)
        func loss() -> Double {
            ws.forward(training: true, head: true)
            return projection(ws.projection.array, r)
        }
        encoder.parameters.zeroGradients()
        _ = loss()
        ws.backward(gradProjection: r)
        let grads = encoder.parameters.gradients.array
        // every 7th parameter, so each layer is touched
        let picked = Array(stride(from: 0, to: encoder.parameters.count, by: 7))
        let values = encoder.parameters.values.pointer
        expectGradient(
            picked.map { grads[$0] }, perturb: { i, d in values[picked[i]] += d }, loss: loss,
            epsilon: 3e-3, tolerance: 3e-2, "encoder parameters")
    }

    @Test("the default encoder: parameter count and forward cost")
    func defaultSize() {
        let encoder = Encoder(EncoderConfig(), seed: 0)
        #expect(encoder.config.embeddingDimension == 256)
        #expect(encoder.encoderParameterCount == 1_225_824)
        #expect(encoder.forwardFLOPs > 100_000_000 && encoder.forwardFLOPs < 200_000_000)
    }

    @Test("evaluation mode is deterministic and independent of the batch")
    func evalMode() {
        let encoder = Encoder(tinyConfig(), seed: 9)
        let one = EncoderWorkspace(encoder: encoder, batch: 1, lanes: 2)
        let three = EncoderWorkspace(encoder: encoder, batch: 3, lanes: 2)
        let x = smooth(three.input.count, seed: 1.4)
        for i in 0..<x.count { three.input[i] = x[i] }
        for i in 0..<one.input.count { one.input[i] = x[one.input.count + i] }  // the second image
        one.forward(training: false, head: false)
        three.forward(training: false, head: false)
        let d = encoder.config.embeddingDimension
        for k in 0..<d { #expect(abs(one.embedding[k] - three.embedding[d + k]) < 1e-6) }
    }

    @Test(
        "lanes split the batch without changing the result: training forward, statistics and gradients",
        arguments: [2, 3, 5])
    func lanesAgree(lanes: Int) {
        var config = tinyConfig()
        config.widths = [8, 16]  // channel counts past one SIMD vector, with a remainder at 3 channels below
        var results: [(embedding: [Float], projection: [Float], gradients: [Float], states: [Float])] = []
        for count in [1, lanes] {
            let encoder = Encoder(config, seed: 21)
            let ws = EncoderWorkspace(encoder: encoder, batch: 5, lanes: count)
            #expect(ws.team.lanes == min(count, 5))
            let x = smooth(ws.input.count, seed: 0.6)
            for i in 0..<x.count { ws.input[i] = x[i] }
            encoder.parameters.zeroGradients()
            ws.forward(training: true, head: true)
            ws.backward(gradProjection: smooth(ws.projection.count, seed: 2.2))
            // a second pass: the lanes' private gradients must have been cleared after the first
            ws.forward(training: true, head: true)
            ws.backward(gradProjection: smooth(ws.projection.count, seed: 3.1))
            results.append(
                (
                    ws.embedding.array, ws.projection.array, encoder.parameters.gradients.array,
                    encoder.parameters.stateValues.array
                ))
        }
        func worst(_ a: [Float], _ b: [Float]) -> Float {
            zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
        }
        #expect(worst(results[0].embedding, results[1].embedding) < 1e-5)
        #expect(worst(results[0].projection, results[1].projection) < 1e-5)
        #expect(worst(results[0].gradients, results[1].gradients) < 1e-4)
        #expect(worst(results[0].states, results[1].states) < 1e-5)
        #expect(results[0].gradients.contains { $0 != 0 })
    }
}
