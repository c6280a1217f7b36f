import CKernels

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

    public func forward(
        _ x: UnsafePointer<Float>, rows m: Int, output y: UnsafeMutablePointer<Float>,
        training: Bool, parameters: ParameterSet, cache: UnsafeMutablePointer<Float>
    ) {
        forward(
            x, rows: m, totalRows: m, output: y, training: training, relu: false, parameters: parameters,
            cache: cache, lane: .alone)
    }

    /// One lane's share of a forward pass: x and y are this lane's `m` rows of a batch of `totalRows`.
    /// Training mode takes the statistics of the whole batch (an `allReduce` over the lanes); lane 0 writes
    /// `cache` and the running statistics. `relu` applies max(·, 0) to the output in the same pass.
    public func forward(
        _ x: UnsafePointer<Float>, rows m: Int, totalRows: Int, output y: UnsafeMutablePointer<Float>,
        training: Bool, relu: Bool, parameters: ParameterSet, cache: UnsafeMutablePointer<Float>,
        lane: LaneContext
    ) {
        forward(
            x, rows: m, totalRows: totalRows, output: y, training: training, activation: relu ? .relu : .none,
            parameters: parameters, cache: cache, lane: lane)
    }

    /// As above, with the activation that follows (none, ReLU or ReLU6) applied in the same pass.
    public func forward(
        _ x: UnsafePointer<Float>, rows m: Int, totalRows: Int, output y: UnsafeMutablePointer<Float>,
        training: Bool, activation: Activation, parameters: ParameterSet,
        cache: UnsafeMutablePointer<Float>, lane: LaneContext
    ) {
        let c = channels
        let gamma = parameters.value(weight), beta = parameters.value(bias)
        let scratch = Scratch(channels: c)
        defer { scratch.free() }
        let mean = scratch.mean, invStd = scratch.invStd
        if training {
            // Two passes (mean, then squared deviations), Float sums over blocks of rows folded into
            // Double totals (CKernels), for a stable variance.
            let total = Double(totalRows)
            lane.allReduce(count: c, into: scratch.totals) { out in pk_column_sums(x, m, c, nil, out) }
            for j in 0..<c { mean[j] = Float(scratch.totals[j] / total) }
            lane.allReduce(count: c, into: scratch.totals) { out in pk_column_sums(x, m, c, mean, out) }
            for j in 0..<c {
                let variance = scratch.totals[j] / total
                invStd[j] = Float(1 / (variance + Double(epsilon)).squareRoot())
            }
            if lane.lane == 0 {
                let rm = parameters.stateValue(runningMean), rv = parameters.stateValue(runningVar)
                for j in 0..<c {
                    let unbiased = totalRows > 1 ? scratch.totals[j] / (total - 1) : scratch.totals[j] / total
                    rm[j] = (1 - momentum) * rm[j] + momentum * mean[j]
                    rv[j] = (1 - momentum) * rv[j] + momentum * Float(unbiased)
                }
            }
        } else {
            let rm = parameters.stateValue(runningMean), rv = parameters.stateValue(runningVar)
            for j in 0..<c {
                mean[j] = rm[j]
                invStd[j] = 1 / (rv[j] + epsilon).squareRoot()
            }
        }
        if lane.lane == 0 {
            (cache).update(from: mean, count: c)
            (cache + c).update(from: invStd, count: c)
        }
        // y = γ·(x − μ)/σ + β = x·scale + shift
        let scale = scratch.a, shift = scratch.b
        for j in 0..<c {
            scale[j] = gamma[j] * invStd[j]
            shift[j] = beta[j] - mean[j] * scale[j]
        }
        pk_affine(x, m, c, scale, shift, activation.upper, y)
    }

    /// Training-mode backward: accumulates dγ, dβ and writes dx (which may alias dy).
    public func backward(
        _ x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, rows m: Int,
        gradInput dx: UnsafeMutablePointer<Float>, parameters: ParameterSet,
        cache: UnsafePointer<Float>
    ) {
        backward(
            x, gradOutput: dy, reluOutput: nil, rows: m, totalRows: m, gradInput: dx, parameters: parameters,
            cache: cache, lane: .alone)
    }

    /// One lane's share of a training-mode backward (rows as in `forward`); lane 0 accumulates dγ and dβ.
    /// With `reluOutput` (the output of a ReLU applied after this layer), dy is first zeroed where that
    /// output is not positive (with `activation` .relu6, also where it is 6): the activation's backward
    /// in the same pass.
    public func backward(
        _ x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>,
        reluOutput: UnsafePointer<Float>?, activation: Activation = .relu, rows m: Int,
        totalRows: Int, gradInput dx: UnsafeMutablePointer<Float>, parameters: ParameterSet,
        cache: UnsafePointer<Float>, lane: LaneContext
    ) {
        let upper = activation.upper
        let c = channels
        let gamma = parameters.value(weight)
        let mean = cache, invStd = cache + c
        let scratch = Scratch(channels: 2 * c)
        defer { scratch.free() }
        lane.allReduce(count: 2 * c, into: scratch.totals) { out in
            pk_norm_gradient_sums(x, dy, reluOutput, upper, m, c, mean, invStd, out)
        }
        let sumDy = scratch.totals, sumDyXhat = scratch.totals + c
        if lane.lane == 0 {
            let gGamma = parameters.gradient(weight), gBeta = parameters.gradient(bias)
            for j in 0..<c {
                gBeta[j] += Float(sumDy[j])
                gGamma[j] += Float(sumDyXhat[j])
            }
        }
        // dx = γσ⁻¹·(dy − k1 − x̂·k2) = A·dy + B·x + C per channel
        let a = scratch.a, b = scratch.b, c0 = scratch.mean
        for j in 0..<c {
            let k1 = Float(sumDy[j] / Double(totalRows)), k2 = Float(sumDyXhat[j] / Double(totalRows))
            a[j] = gamma[j] * invStd[j]
            b[j] = -a[j] * k2 * invStd[j]
            c0[j] = -a[j] * k1 - b[j] * mean[j]
        }
        if UnsafePointer(dx) == dy {
            // the kernel's buffers must not overlap: keep a copy of dy
            let copy = UnsafeMutablePointer<Float>.allocate(capacity: m * c)
            defer { copy.deallocate() }
            copy.update(from: dy, count: m * c)
            pk_norm_backward(x, copy, reluOutput, upper, m, c, a, b, c0, dx)
        } else {
            pk_norm_backward(x, dy, reluOutput, upper, m, c, a, b, c0, dx)
        }
    }

    /// Per-call scratch: Double totals and Float per-channel vectors (sized for `channels`).
    private struct Scratch {
        let totals: UnsafeMutablePointer<Double>
        let mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>
        let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>

        init(channels: Int) {
            totals = .allocate(capacity: channels)
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: 4 * channels)
            mean = floats
            invStd = floats + channels
            a = floats + 2 * channels
            b = floats + 3 * channels
        }

        func free() {
            totals.deallocate()
            mean.deallocate()
        }
    }
}
