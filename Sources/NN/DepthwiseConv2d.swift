import CKernels

/// Depthwise 2-D convolution without bias (each channel convolved with its own k×k filter; MobileNet's and
/// EfficientNet's spatial layer), NHWC, computed directly by the C kernels, vectorised over channels.
///
/// Shapes: input [N, H, W, C] → output [N, Ho, Wo, C], Ho = (H + before + after − k) / s + 1.
/// Weight [k, k, C] (PyTorch's grouped-convolution weight [C, 1, k, k] is converted on import).
public struct DepthwiseConv2d: Sendable {
    public let channels: Int
    public let kernel: Int
    public let stride: Int
    /// Zero padding above and left; `paddingAfter` below and right.
    public let padding: Int
    public let paddingAfter: Int
    public let weight: ParameterView

    public init(
        _ name: String, channels: Int, kernel: Int, stride: Int = 1, padding: Int, paddingAfter: Int? = nil,
        parameters: ParameterSet
    ) {
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.paddingAfter = paddingAfter ?? padding
        // PyTorch's default for a grouped convolution: U(±1/√fan_in) with fan_in = k·k.
        weight = parameters.parameter(
            name + ".weight", shape: [kernel, kernel, channels],
            initializer: .uniform(bound: 1 / Float(kernel * kernel).squareRoot()))
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (
            (height + padding + paddingAfter - kernel) / stride + 1,
            (width + padding + paddingAfter - kernel) / stride + 1
        )
    }

    /// output = depthwise(input).
    public func forward(
        _ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
        output: UnsafeMutablePointer<Float>, parameters: ParameterSet
    ) {
        guard batch > 0 else { return }
        let (ho, wo) = outputSize(height: height, width: width)
        pk_depthwise_forward(
            input, batch, height, width, channels, parameters.value(weight), kernel, stride, padding,
            ho, wo, output)
    }

    /// Accumulates the weight gradient (into `gradients`, a lane's private copy of the parameter set's
    /// gradient buffer, when given) and, if `gradInput` is given, writes the input gradient.
    public func backward(
        _ input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, batch: Int, height: Int,
        width: Int, gradInput: UnsafeMutablePointer<Float>?, parameters: ParameterSet,
        gradients: UnsafeMutablePointer<Float>? = nil
    ) {
        guard batch > 0 else { return }
        let (ho, wo) = outputSize(height: height, width: width)
        let gw = gradients.map { $0 + weight.offset } ?? parameters.gradient(weight)
        pk_depthwise_backward(
            input, gradOutput, batch, height, width, channels, parameters.value(weight), kernel,
            stride, padding, ho, wo, gw, gradInput)
    }
}
