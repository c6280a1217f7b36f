import Foundation

/// Optimizers over a `ParameterSet`'s flat buffers: one loop per step.
public struct Optimizer: Sendable {
    public enum Kind: String, Sendable, Codable {
        /// Adam with L2 regularisation added to the gradient.
        case adam
        /// Adam with decoupled weight decay (Loshchilov & Hutter).
        case adamW
        /// SGD with (heavy-ball) momentum and L2 regularisation.
        case sgdMomentum
    }

    public var kind: Kind
    public var weightDecay: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var momentum: Float = 0.9
    /// Steps taken so far (Adam's bias correction depends on it; saved in checkpoints).
    public var step = 0
    /// First moments (Adam) or velocities (SGD), then second moments (Adam): 2 × parameter count.
    public let moments: FloatBuffer

    public init(_ kind: Kind, parameterCount: Int, weightDecay: Float = 0) {
        self.kind = kind
        self.weightDecay = weightDecay
        moments = FloatBuffer(count: 2 * parameterCount)
    }

    /// One update of every parameter with learning rate `lr`.
    public mutating func update(_ parameters: ParameterSet, learningRate lr: Float) {
        step += 1
        let n = parameters.count
        let w = parameters.values.pointer, g = parameters.gradients.pointer
        let m = moments.pointer, v = moments.pointer + n
        switch kind {
        case .adam, .adamW:
            let c1 = 1 - Float(pow(Double(beta1), Double(step)))
            let c2 = 1 - Float(pow(Double(beta2), Double(step)))
            let decoupled = kind == .adamW
            for i in 0..<n {
                var grad = g[i]
                if !decoupled { grad += weightDecay * w[i] }
                m[i] = beta1 * m[i] + (1 - beta1) * grad
                v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
                let update = (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
                if decoupled { w[i] -= lr * weightDecay * w[i] }
                w[i] -= lr * update
            }
        case .sgdMomentum:
            for i in 0..<n {
                let grad = g[i] + weightDecay * w[i]
                m[i] = momentum * m[i] + grad
                w[i] -= lr * m[i]
            }
        }
    }
}

/// Linear warm-up, then cosine decay to `minimum` (METHODS §2: lr 1e-3 → cosine).
public struct LearningRateSchedule: Sendable, Codable, Equatable {
    public var peak: Float
    public var minimum: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Float, minimum: Float = 0, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak
        self.minimum = minimum
        self.warmupSteps = warmupSteps
        self.totalSteps = max(1, totalSteps)
    }

    /// The learning rate at 0-based `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Float(step - warmupSteps) / Float(span))
        return minimum + (peak - minimum) * 0.5 * (1 + cos(Float.pi * progress))
    }
}
