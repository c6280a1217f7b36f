import Foundation
import NN
import PlanktermCore

/// A small MLP on standardised embedding + log size: Linear → BatchNorm → ReLU → Linear,
/// trained with Adam on the class-balanced cross-entropy, early-stopped on the balanced NLL of a
/// stratified 15 % validation split (the best epoch's weights are kept).
public struct MLPHead: ClassifierHead, @unchecked Sendable {
    public let classes: Int
    public let epochs: Int
    let standardizer: Standardizer
    let parameters: ParameterSet
    let fc1: Linear
    let bn: BatchNorm
    let fc2: Linear
    let hidden: Int
    let inputs: Int

    public static func fit(
        _ features: Features, rows: [Int], labels: [Int], classes k: Int,
        settings: HeadSettings
    ) -> MLPHead {
        var rng = SeededGenerator(seed: settings.seed ^ 0x4D4C_5048)
        let d = features.dimension + 1
        var x = features.designMatrix(rows)
        let standardizer = Standardizer(fitting: x, features: d)
        standardizer.apply(&x)
        let xf = x.map { Float($0) }
        var (train, validation) = validationSplit(labels: labels, classes: k, settings: settings, using: &rng)
        let parameters = ParameterSet()
        let fc1 = Linear("fc1", in: d, out: settings.hidden, parameters: parameters)
        let bn = BatchNorm("bn", channels: settings.hidden, parameters: parameters)
        let fc2 = Linear("fc2", in: settings.hidden, out: k, parameters: parameters)
        parameters.allocate(seed: settings.seed)
        var head = MLPHead(
            classes: k, epochs: 0, standardizer: standardizer, parameters: parameters, fc1: fc1,
            bn: bn, fc2: fc2, hidden: settings.hidden, inputs: d)
        let weights = balancedWeights(labels: labels, classes: k)
        var optimizer = Optimizer(.adamW, parameterCount: parameters.count, weightDecay: 1e-4)
        let batch = min(128, max(train.count, 1))
        let work = MLPWorkspace(batch: batch, inputs: d, hidden: settings.hidden, classes: k)
        var best = Double.infinity, bestValues = parameters.values.array, bestStates = parameters.stateValues.array
        var bestEpoch = 0, sinceBest = 0
        for epoch in 1...(settings.fixedEpochs ?? settings.maxEpochs) {
            train.shuffle(using: &rng)
            var start = 0
            while start < train.count {
                let count = min(batch, train.count - start)
                guard count >= 2 else { break }  // BatchNorm needs two rows
                var weightSum = 0.0
                for b in 0..<count {
                    let i = train[start + b]
                    (work.input.pointer + b * d).update(
                        from: xf.withUnsafeBufferPointer { $0.baseAddress! + i * d }, count: d)
                    weightSum += weights[i]
                }
                parameters.zeroGradients()
                head.forward(work, count: count, training: true)
                // dL/dz = w_i (p − y) / Σw over the batch.
                for b in 0..<count {
                    let i = train[start + b]
                    let row = work.logits.pointer + b * k
                    softmaxRow(row, k)
                    let scale = Float(weights[i] / weightSum)
                    for j in 0..<k { row[j] *= scale }
                    row[labels[i]] -= scale
                }
                head.backward(work, count: count)
                optimizer.update(parameters, learningRate: Float(settings.learningRate))
                start += count
            }
            let loss = validation.isEmpty ? 0 : head.weightedNLL(xf, rows: validation, labels: labels, weights: weights)
            if loss < best - 1e-6 {
                best = loss; bestValues = parameters.values.array; bestStates = parameters.stateValues.array
                bestEpoch = epoch; sinceBest = 0
            } else {
                sinceBest += 1
                if sinceBest >= settings.patience { break }
            }
            if validation.isEmpty { bestEpoch = epoch }
        }
        if !validation.isEmpty {
            bestValues.withUnsafeBufferPointer {
                parameters.values.pointer.update(from: $0.baseAddress!, count: $0.count)
            }
            bestStates.withUnsafeBufferPointer {
                parameters.stateValues.pointer.update(from: $0.baseAddress!, count: $0.count)
            }
        }
        head = MLPHead(
            classes: k, epochs: bestEpoch, standardizer: standardizer, parameters: parameters, fc1: fc1,
            bn: bn, fc2: fc2, hidden: settings.hidden, inputs: d)
        return head
    }

    /// Stratified validation split: 15 % of each class with at least 2 labels (none with fixed epochs).
    private static func validationSplit(
        labels: [Int], classes k: Int, settings: HeadSettings, using rng: inout SeededGenerator
    ) -> (train: [Int], validation: [Int]) {
        var byClass = [[Int]](repeating: [], count: k)
        for (i, y) in labels.enumerated() { byClass[y].append(i) }
        var train: [Int] = [], validation: [Int] = []
        for var members in byClass where !members.isEmpty {
            members.shuffle(using: &rng)
            let held =
                members.count >= 2 && settings.fixedEpochs == nil
                ? max(1, Int((Double(members.count) * 0.15).rounded())) : 0
            validation += members[0..<held]
            train += members[held...]
        }
        return (train, validation)
    }

    public func logits(_ features: Features, rows: [Int]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(rows.count * classes)
        let block = 1024
        let work = MLPWorkspace(batch: block, inputs: inputs, hidden: hidden, classes: classes)
        var start = 0
        while start < rows.count {
            let part = Array(rows[start..<min(start + block, rows.count)])
            var x = features.designMatrix(part)
            standardizer.apply(&x)
            for i in 0..<x.count { work.input.pointer[i] = Float(x[i]) }
            forward(work, count: part.count, training: false)
            for i in 0..<(part.count * classes) { out.append(Double(work.logits.pointer[i])) }
            start += part.count
        }
        return out
    }

    func weightedNLL(_ x: [Float], rows: [Int], labels: [Int], weights: [Double]) -> Double {
        let work = MLPWorkspace(batch: rows.count, inputs: inputs, hidden: hidden, classes: classes)
        for (b, i) in rows.enumerated() {
            (work.input.pointer + b * inputs).update(
                from: x.withUnsafeBufferPointer { $0.baseAddress! + i * inputs },
                count: inputs)
        }
        forward(work, count: rows.count, training: false)
        var total = 0.0, weightSum = 0.0
        for (b, i) in rows.enumerated() {
            let row = work.logits.pointer + b * classes
            softmaxRow(row, classes)
            total -= weights[i] * log(max(Double(row[labels[i]]), 1e-15))
            weightSum += weights[i]
        }
        return total / max(weightSum, 1e-300)
    }

    func forward(_ w: MLPWorkspace, count: Int, training: Bool) {
        fc1.forward(w.input.pointer, batch: count, output: w.preNorm.pointer, parameters: parameters)
        bn.forward(
            w.preNorm.pointer, rows: count, output: w.normed.pointer, training: training,
            parameters: parameters, cache: w.bnCache.pointer)
        ReLU.forward(w.normed.pointer, count: count * hidden, output: w.activated.pointer)
        fc2.forward(w.activated.pointer, batch: count, output: w.logits.pointer, parameters: parameters)
    }

    func backward(_ w: MLPWorkspace, count: Int) {
        fc2.backward(
            w.activated.pointer, gradOutput: w.logits.pointer, batch: count, gradInput: w.gradHidden.pointer,
            parameters: parameters)
        ReLU.backward(
            output: w.activated.pointer, gradOutput: w.gradHidden.pointer, count: count * hidden,
            gradInput: w.gradHidden.pointer)
        bn.backward(
            w.preNorm.pointer, gradOutput: w.gradHidden.pointer, rows: count, gradInput: w.gradHidden.pointer,
            parameters: parameters, cache: w.bnCache.pointer)
        fc1.backward(
            w.input.pointer, gradOutput: w.gradHidden.pointer, batch: count, gradInput: nil,
            parameters: parameters)
    }
}

/// Buffers of one MLP forward/backward pass of up to `batch` rows.
final class MLPWorkspace: @unchecked Sendable {
    let input, preNorm, normed, activated, logits, gradHidden, bnCache: FloatBuffer

    init(batch: Int, inputs: Int, hidden: Int, classes: Int) {
        input = FloatBuffer(count: batch * inputs)
        preNorm = FloatBuffer(count: batch * hidden)
        normed = FloatBuffer(count: batch * hidden)
        activated = FloatBuffer(count: batch * hidden)
        logits = FloatBuffer(count: batch * classes)
        gradHidden = FloatBuffer(count: batch * hidden)
        bnCache = FloatBuffer(count: 2 * hidden)
    }
}

@inline(__always)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ k: Int) {
    var top = -Float.infinity
    for j in 0..<k { top = max(top, row[j]) }
    var sum: Float = 0
    for j in 0..<k { row[j] = exp(row[j] - top); sum += row[j] }
    for j in 0..<k { row[j] /= sum }
}
