import Linalg

/// A fully connected layer: y = x·Wᵀ + b.
///
/// Shapes: x [N, in], y [N, out]; weight [out, in] (PyTorch's layout), bias [out].
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: ParameterView
    public let bias: ParameterView?

    public init(
        _ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true,
        parameters: ParameterSet
    ) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = parameters.parameter(
            name + ".weight", shape: [outFeatures, inFeatures],
            initializer: .uniform(bound: bound))
        self.bias =
            bias ? parameters.parameter(name + ".bias", shape: [outFeatures], initializer: .uniform(bound: bound)) : nil
    }

    public func forward(
        _ x: UnsafePointer<Float>, batch: Int, output y: UnsafeMutablePointer<Float>,
        parameters: ParameterSet
    ) {
        Gemm.sgemm(m: batch, n: outFeatures, k: inFeatures, a: x, b: parameters.value(weight), transB: true, c: y)
        if let bias {
            let b = parameters.value(bias)
            for n in 0..<batch {
                let row = y + n * outFeatures
                for j in 0..<outFeatures { row[j] += b[j] }
            }
        }
    }

    /// Accumulates dW and db; writes dx if given.
    public func backward(
        _ x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, batch: Int,
        gradInput dx: UnsafeMutablePointer<Float>?, parameters: ParameterSet
    ) {
        // dW [out, in] += dyᵀ [out, N] · x [N, in]
        Gemm.sgemm(
            m: outFeatures, n: inFeatures, k: batch, a: dy, transA: true, b: x,
            c: parameters.gradient(weight), beta: 1)
        if let bias {
            let gb = parameters.gradient(bias)
            for n in 0..<batch {
                let row = dy + n * outFeatures
                for j in 0..<outFeatures { gb[j] += row[j] }
            }
        }
        if let dx {
            Gemm.sgemm(m: batch, n: inFeatures, k: outFeatures, a: dy, b: parameters.value(weight), c: dx)
        }
    }
}
