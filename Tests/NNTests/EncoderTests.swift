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
    @Test("whole-network backward (training mode, with head) against finite differences")
    func gradient() {
        let encoder = Encoder(tinyConfig(), seed: 4)
        let ws = EncoderWorkspace(encoder: encoder, batch: 3)
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
        expectGradient(picked.map { grads[$0] }, perturb: { i, d in values[picked[i]] += d }, loss: loss,
                       epsilon: 1e-2, tolerance: 3e-2, "encoder parameters")
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
        let one = EncoderWorkspace(encoder: encoder, batch: 1)
        let three = EncoderWorkspace(encoder: encoder, batch: 3)
        let x = smooth(three.input.count, seed: 1.4)
        for i in 0..<x.count { three.input[i] = x[i] }
        for i in 0..<one.input.count { one.input[i] = x[one.input.count + i] }  // the second image
        one.forward(training: false, head: false)
        three.forward(training: false, head: false)
        let d = encoder.config.embeddingDimension
        for k in 0..<d { #expect(abs(one.embedding[k] - three.embedding[d + k]) < 1e-6) }
    }
}
