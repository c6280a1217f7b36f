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

    /// Fine-tunes the encoder at `weights` on `lanes` lanes (`EncoderWorkspace`: the caller's thread count);
    /// returns the new encoder's id and weights file.
    public func run(
        weights: String, imagesRoot: String, parameters: FineTuneJobParameters, lanes: Int = 1,
        progress: (Double, String) throws -> Void
    ) throws -> (modelId: String, weights: String) {
        let (encoder, _) = try Encoder.load(from: weights)
        let config = encoder.config
        let data = try trainingData(side: config.side, imagesRoot: imagesRoot)
        let samples = data.samples, cache = data.cache, classWeight = data.classWeight
        let k = data.classes, d = config.embeddingDimension

        let batch = min(parameters.batch, samples.count)
        let workspace = EncoderWorkspace(encoder: encoder, batch: batch, lanes: lanes)
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
                    Self.writeView(
                        of: bytes, side: side, flip: flip, turns: turns,
                        into: workspace.input.pointer + i * pixels)
                }
                workspace.forward(training: true, head: false, trainingFrom: firstBlock)
                classifier.forward(workspace.embedding.pointer, batch: batch, output: logits.pointer, parameters: head)
                let loss = Self.weightedCrossEntropy(
                    logits.pointer, labels: picked.map(\.label), classes: k,
                    classWeight: classWeight, gradient: gradLogits.pointer)
                encoder.parameters.zeroGradients()
                head.zeroGradients()
                classifier.backward(
                    workspace.embedding.pointer, gradOutput: gradLogits.pointer, batch: batch,
                    gradInput: gradEmbedding.pointer, parameters: head)
                workspace.backward(gradEmbedding: gradEmbedding.pointer, firstBlock: firstBlock)
                encoderOptimizer.update(encoder.parameters, learningRate: parameters.learningRate)
                headOptimizer.update(head, learningRate: parameters.learningRate)
                epochLoss += loss
                step += 1
                try progress(
                    Double(step) / Double(total),
                    String(
                        format: "fine-tuning the last stage: epoch %d/%d, loss %.3f", epoch, parameters.epochs,
                        epochLoss / Float(s + 1)))
            }
        }
        return try saveAndRegister(
            encoder, finetunedFrom: weights, epochs: parameters.epochs,
            labels: samples.count, classes: k)
    }

    /// The validated images that the pixel cache holds, as cache rows with class indices.
    private struct TrainingData {
        var cache: PixelCache
        var samples: [(row: Int, label: Int)]
        var classes: Int
        /// Balanced: every class weighs the same in the loss (π_train uniform).
        var classWeight: [Float] {
            var counts = [Int](repeating: 0, count: classes)
            for s in samples { counts[s.label] += 1 }
            return counts.map { Float(samples.count) / Float(classes * max($0, 1)) }
        }
    }

    /// The validated images at `side` pixels (cached under the project); at least 2 classes are needed.
    private func trainingData(side: Int, imagesRoot: String) throws -> TrainingData {
        let labels = try store.validatedLabels()
        let images = try store.usableImages().filter { labels[$0.id] != nil }
        let classIds = Array(Set(images.compactMap { labels[$0.id] })).sorted()
        guard classIds.count >= 2 else {
            throw ProjectError.notEnoughLabels(
                project: store.directory, reason: "fine-tuning needs validated labels of at least 2 classes")
        }
        let classIndex = Dictionary(uniqueKeysWithValues: classIds.enumerated().map { ($1, $0) })
        let cache = try PixelCache(directory: store.directory, side: side, images: images, imagesRoot: imagesRoot)
        let samples = images.compactMap { image in
            cache.rows[image.id].map { (row: $0, label: classIndex[labels[image.id]!]!) }
        }
        return TrainingData(cache: cache, samples: samples, classes: classIds.count)
    }

    /// Writes the `side`×`side` grey image `bytes`, mirrored if `flip` and then turned `turns` quarter turns,
    /// as floats in 0...1 to `dst`.
    private static func writeView(
        of bytes: [UInt8], side: Int, flip: Bool, turns: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        for y in 0..<side {
            for x in 0..<side {
                var (u, v) = (flip ? side - 1 - x : x, y)
                for _ in 0..<turns { (u, v) = (side - 1 - v, u) }
                dst[y * side + x] = Float(bytes[v * side + u]) / 255
            }
        }
    }

    /// Weighted softmax cross-entropy of the `labels.count`×`classes` `logits` (each row weighted by its
    /// class's weight, the weights normalised over the batch); writes its gradient with respect to the
    /// logits to `gradient` and returns the loss.
    private static func weightedCrossEntropy(
        _ logits: UnsafeMutablePointer<Float>, labels: [Int], classes k: Int,
        classWeight: [Float], gradient: UnsafeMutablePointer<Float>
    ) -> Float {
        var loss: Float = 0
        let weightSum = labels.reduce(0) { $0 + classWeight[$1] }
        for (i, label) in labels.enumerated() {
            let row = logits + i * k, grad = gradient + i * k
            let top = (0..<k).map { row[$0] }.max()!
            var sum: Float = 0
            for j in 0..<k { grad[j] = exp(row[j] - top); sum += grad[j] }
            let w = classWeight[label] / weightSum
            loss -= w * (row[label] - top - log(sum))
            for j in 0..<k { grad[j] = w * (grad[j] / sum - (j == label ? 1 : 0)) }
        }
        return loss
    }

    /// Saves the fine-tuned `encoder` under the project's models folder, named by its model id, and
    /// registers it; returns the id and the weights file.
    private func saveAndRegister(
        _ encoder: Encoder, finetunedFrom weights: String, epochs: Int, labels: Int,
        classes k: Int
    ) throws -> (modelId: String, weights: String) {
        let layout = ProjectLayout(directory: store.directory)
        try FileManager.default.createDirectory(atPath: layout.modelsFolder, withIntermediateDirectories: true)
        let temporary = layout.finetunedEncoderTemporary
        try encoder.save(
            to: temporary,
            metadata: [
                "plankterm.trainer": "plankterm finetune", "plankterm.finetuned_from": weights,
                "plankterm.epochs": String(epochs), "plankterm.labels": String(labels)
            ])
        let modelId = try Pretrainer.modelId(ofWeightsAt: temporary)
        let path = layout.encoderWeights(encoder: modelId)
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
        let registered = EncoderParameters(
            weights: path, epochs: epochs, finetunedFrom: weights, labels: labels, classes: k)
        try EncoderCatalogue(store: store).register(id: modelId, parameters: registered, createdAt: Date())
        return (modelId, path)
    }
}
