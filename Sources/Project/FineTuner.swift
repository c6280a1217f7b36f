import Foundation
import NN
import PlanktermCore
import Store

/// Partial fine-tune of the encoder's last stage with the validated labels (METHODS §3, head 4): a linear
/// classifier on the pooled embedding, class-balanced cross-entropy (weights ∝ 1/n_k), AdamW without
/// weight decay on the last stage and the classifier only. Earlier layers run in evaluation mode (running
/// statistics), as they will at inference, and every earlier weight and statistic comes out exactly as it
/// went in. Views are the preprocessed images under random flips and quarter
/// turns (plankton have no up). The result is a new encoder version, saved and registered like a
/// pretrained one.
public struct FineTuner {
    public var store: ProjectStore

    public init(store: ProjectStore) { self.store = store }

    /// Fine-tunes the encoder at `weights`; returns the new encoder's id and weights file.
    public func run(weights: String, imagesRoot: String, parameters: FineTuneJobParameters,
                    progress: (Double, String) throws -> Void) throws -> (modelId: String, weights: String) {
        let (encoder, _) = try Encoder.load(from: weights)
        let config = encoder.config
        let labels = try store.validatedLabels()
        let images = try store.usableImages().filter { labels[$0.id] != nil }
        let classIds = Array(Set(images.compactMap { labels[$0.id] })).sorted()
        guard classIds.count >= 2 else {
            throw ProjectError.notEnoughLabels(project: store.directory, reason: "fine-tuning needs validated labels of at least 2 classes")
        }
        let classIndex = Dictionary(uniqueKeysWithValues: classIds.enumerated().map { ($1, $0) })
        let cache = try PixelCache(directory: store.directory, side: config.side, images: images, imagesRoot: imagesRoot)
        let samples = images.compactMap { image in cache.rows[image.id].map { (row: $0, label: classIndex[labels[image.id]!]!) } }
        let k = classIds.count, d = config.embeddingDimension
        var counts = [Int](repeating: 0, count: k)
        for s in samples { counts[s.label] += 1 }
        // Balanced: every class weighs the same in the loss (π_train uniform).
        let classWeight = counts.map { Float(samples.count) / Float(k * max($0, 1)) }

        let batch = min(parameters.batch, samples.count)
        let workspace = EncoderWorkspace(encoder: encoder, batch: batch)
        let firstBlock = workspace.lastStageFirstBlock

        let head = ParameterSet()
        let classifier = Linear("finetune.fc", in: d, out: k, parameters: head)
        head.allocate(seed: parameters.seed)
        var encoderOptimizer = Optimizer(.adamW, parameterCount: encoder.parameters.count, weightDecay: 0)
        var headOptimizer = Optimizer(.adamW, parameterCount: head.count, weightDecay: 0)
        let logits = FloatBuffer(count: batch * k), gradLogits = FloatBuffer(count: batch * k)
        let gradEmbedding = FloatBuffer(count: batch * d)
        var rng = SeededGenerator(seed: parameters.seed &+ 17)
        let side = config.side, pixels = side * side
        var bytes = [UInt8](repeating: 0, count: pixels)
        let stepsPerEpoch = max(1, samples.count / batch)
        let total = stepsPerEpoch * parameters.epochs
        var step = 0
        for epoch in 1...parameters.epochs {
            var order = Array(samples.indices)
            order.shuffle(using: &rng)
            var epochLoss: Float = 0
            for s in 0..<stepsPerEpoch {
                let picked = (0..<batch).map { samples[order[(s * batch + $0) % order.count]] }
                for (i, sample) in picked.enumerated() {
                    bytes.withUnsafeMutableBufferPointer { cache.read(row: sample.row, into: $0.baseAddress!) }
                    let flip = Bool.random(using: &rng), turns = Int.random(in: 0..<4, using: &rng)
                    let dst = workspace.input.pointer + i * pixels
                    for y in 0..<side {
                        for x in 0..<side {
                            var (u, v) = (flip ? side - 1 - x : x, y)
                            for _ in 0..<turns { (u, v) = (side - 1 - v, u) }
                            dst[y * side + x] = Float(bytes[v * side + u]) / 255
                        }
                    }
                }
                workspace.forward(training: true, head: false, trainingFrom: firstBlock)
                classifier.forward(workspace.embedding.pointer, batch: batch, output: logits.pointer, parameters: head)
                // Weighted softmax cross-entropy and its gradient with respect to the logits.
                var loss: Float = 0
                let weightSum = picked.reduce(0) { $0 + classWeight[$1.label] }
                for (i, sample) in picked.enumerated() {
                    let row = logits.pointer + i * k, grad = gradLogits.pointer + i * k
                    let top = (0..<k).map { row[$0] }.max()!
                    var sum: Float = 0
                    for j in 0..<k { grad[j] = exp(row[j] - top); sum += grad[j] }
                    let w = classWeight[sample.label] / weightSum
                    loss -= w * (row[sample.label] - top - log(sum))
                    for j in 0..<k { grad[j] = w * (grad[j] / sum - (j == sample.label ? 1 : 0)) }
                }
                encoder.parameters.zeroGradients()
                head.zeroGradients()
                classifier.backward(workspace.embedding.pointer, gradOutput: gradLogits.pointer, batch: batch,
                                    gradInput: gradEmbedding.pointer, parameters: head)
                workspace.backward(gradEmbedding: gradEmbedding.pointer, firstBlock: firstBlock)
                encoderOptimizer.update(encoder.parameters, learningRate: parameters.learningRate)
                headOptimizer.update(head, learningRate: parameters.learningRate)
                epochLoss += loss
                step += 1
                try progress(Double(step) / Double(total),
                             String(format: "fine-tuning the last stage: epoch %d/%d, loss %.3f", epoch, parameters.epochs,
                                    epochLoss / Float(s + 1)))
            }
        }
        let folder = store.directory + "/models"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/.finetune.tmp"
        try encoder.save(to: temporary, metadata: [
            "plankterm.trainer": "plankterm finetune", "plankterm.finetuned_from": weights,
            "plankterm.epochs": String(parameters.epochs), "plankterm.labels": String(samples.count),
        ])
        let modelId = try Pretrainer.modelId(ofWeightsAt: temporary)
        let path = folder + "/encoder-\(modelId).safetensors"
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
        let registered = EncoderParameters(weights: "models/encoder-\(modelId).safetensors", epochs: parameters.epochs,
                                           finetunedFrom: weights, labels: samples.count, classes: k)
        try store.registerModel(id: modelId, kind: "encoder", parameters: registered.json, createdAt: Date())
        return (modelId, path)
    }
}
