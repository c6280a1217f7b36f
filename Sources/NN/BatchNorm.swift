/// Batch normalisation over the channel axis of NHWC data (statistics over N·H·W).
///
/// Shapes: x, y [M, C] with M = N·H·W. Parameters γ (weight) and β (bias) [C]; state: running mean and
/// running variance [C] (PyTorch's `running_mean`, `running_var`; the running variance is unbiased).
/// Training mode normalises with the batch statistics and saves mean and 1/σ in `cache` (2·C floats)
/// for the backward pass; evaluation mode uses the running statistics.
public struct BatchNorm: Sendable {
    public let channels: Int
    public let weight: ParameterView
    public let bias: ParameterView
    public let runningMean: ParameterView
    public let runningVar: ParameterView
    public var momentum: Float = 0.1
    public var epsilon: Float = 1e-5

    public init(_ name: String, channels: Int, parameters: ParameterSet) {
        self.channels = channels
        weight = parameters.parameter(name + ".weight", shape: [channels], initializer: .constant(1))
        bias = parameters.parameter(name + ".bias", shape: [channels], initializer: .zeros)
        runningMean = parameters.state(name + ".running_mean", shape: [channels], value: 0)
        runningVar = parameters.state(name + ".running_var", shape: [channels], value: 1)
    }

    /// Floats of `cache` needed: mean and inverse standard deviation per channel.
    public var cacheCount: Int { 2 * channels }

    public func forward(_ x: UnsafePointer<Float>, rows m: Int, output y: UnsafeMutablePointer<Float>,
                        training: Bool, parameters: ParameterSet, cache: UnsafeMutablePointer<Float>) {
        let c = channels
        let gamma = parameters.value(weight), beta = parameters.value(bias)
        let mean = cache, invStd = cache + c
        if training {
            // Two passes in Double for a stable variance.
            var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
            for r in 0..<m {
                let row = x + r * c
                for j in 0..<c { sum[j] += Double(row[j]) }
            }
            for j in 0..<c { mean[j] = Float(sum[j] / Double(m)) }
            for r in 0..<m {
                let row = x + r * c
                for j in 0..<c {
                    let d = Double(row[j]) - Double(mean[j])
                    sq[j] += d * d
                }
            }
            let rm = parameters.stateValue(runningMean), rv = parameters.stateValue(runningVar)
            for j in 0..<c {
                let variance = sq[j] / Double(m)
                invStd[j] = Float(1 / (variance + Double(epsilon)).squareRoot())
                let unbiased = m > 1 ? sq[j] / Double(m - 1) : variance
                rm[j] = (1 - momentum) * rm[j] + momentum * mean[j]
                rv[j] = (1 - momentum) * rv[j] + momentum * Float(unbiased)
            }
        } else {
            let rm = parameters.stateValue(runningMean), rv = parameters.stateValue(runningVar)
            for j in 0..<c {
                mean[j] = rm[j]
                invStd[j] = 1 / (rv[j] + epsilon).squareRoot()
            }
        }
        // y = γ·(x − μ)/σ + β = x·scale + shift
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for j in 0..<c {
            scale[j] = gamma[j] * invStd[j]
            shift[j] = beta[j] - mean[j] * scale[j]
        }
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { b in
                for r in 0..<m {
                    let xi = x + r * c, yi = y + r * c
                    for j in 0..<c { yi[j] = xi[j] * s[j] + b[j] }
                }
            }
        }
    }

    /// Training-mode backward: accumulates dγ, dβ and writes dx (which may alias dy).
    public func backward(_ x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, rows m: Int,
                         gradInput dx: UnsafeMutablePointer<Float>, parameters: ParameterSet,
                         cache: UnsafePointer<Float>) {
        let c = channels
        let gamma = parameters.value(weight)
        let gGamma = parameters.gradient(weight), gBeta = parameters.gradient(bias)
        let mean = cache, invStd = cache + c
        var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
        for r in 0..<m {
            let xi = x + r * c, gi = dy + r * c
            for j in 0..<c {
                let xhat = (xi[j] - mean[j]) * invStd[j]
                sumDy[j] += Double(gi[j])
                sumDyXhat[j] += Double(gi[j] * xhat)
            }
        }
        var k1 = [Float](repeating: 0, count: c), k2 = [Float](repeating: 0, count: c)
        for j in 0..<c {
            gBeta[j] += Float(sumDy[j])
            gGamma[j] += Float(sumDyXhat[j])
            k1[j] = Float(sumDy[j] / Double(m))
            k2[j] = Float(sumDyXhat[j] / Double(m))
        }
        for r in 0..<m {
            let xi = x + r * c, gi = dy + r * c, di = dx + r * c
            for j in 0..<c {
                let xhat = (xi[j] - mean[j]) * invStd[j]
                di[j] = gamma[j] * invStd[j] * (gi[j] - k1[j] - xhat * k2[j])
            }
        }
    }
}
