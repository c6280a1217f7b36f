import PlanktermCore

/// Where one named tensor lives inside a flat buffer.
public struct ParameterView: Sendable, Hashable {
    public var name: String
    public var offset: Int
    /// The shape in plankterm's layout (documented by the layer that owns it).
    public var shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}

/// All trainable parameters of a model in one flat buffer (with a gradient buffer of the same size),
/// plus non-trainable state such as BatchNorm running statistics in a second flat buffer.
///
/// The optimizer step, zero-grad and checkpointing are each one loop over these buffers.
public final class ParameterSet: @unchecked Sendable {
    public private(set) var parameters: [ParameterView] = []
    public private(set) var states: [ParameterView] = []
    public private(set) var values = FloatBuffer(count: 0)
    public private(set) var gradients = FloatBuffer(count: 0)
    public private(set) var stateValues = FloatBuffer(count: 0)
    private var sealed = false
    private var pendingInit: [(ParameterView, Initializer)] = []
    private var pendingStateInit: [(ParameterView, Float)] = []

    /// How a parameter starts.
    public enum Initializer: Sendable {
        case zeros
        case constant(Float)
        case uniform(bound: Float)
    }

    public init() {}

    /// Declares a trainable parameter; call `allocate(seed:)` once all are declared.
    public func parameter(_ name: String, shape: [Int], initializer: Initializer) -> ParameterView {
        precondition(!sealed, "parameters are declared before allocate()")
        precondition(!parameters.contains { $0.name == name }, "duplicate parameter \(name)")
        let offset = parameters.last.map { $0.offset + $0.count } ?? 0
        let view = ParameterView(name: name, offset: offset, shape: shape)
        parameters.append(view)
        pendingInit.append((view, initializer))
        return view
    }

    /// Declares a non-trainable state tensor (running statistics) with a constant start value.
    public func state(_ name: String, shape: [Int], value: Float) -> ParameterView {
        precondition(!sealed, "states are declared before allocate()")
        let offset = states.last.map { $0.offset + $0.count } ?? 0
        let view = ParameterView(name: name, offset: offset, shape: shape)
        states.append(view)
        pendingStateInit.append((view, value))
        return view
    }

    /// Allocates the buffers and initialises every parameter from `seed`.
    public func allocate(seed: UInt64) {
        precondition(!sealed, "allocate() once")
        sealed = true
        let total = parameters.last.map { $0.offset + $0.count } ?? 0
        values = FloatBuffer(count: total)
        gradients = FloatBuffer(count: total)
        stateValues = FloatBuffer(count: states.last.map { $0.offset + $0.count } ?? 0)
        var rng = SeededGenerator(seed: seed)
        for (view, initializer) in pendingInit {
            let p = values.pointer + view.offset
            switch initializer {
            case .zeros: p.update(repeating: 0, count: view.count)
            case .constant(let c): p.update(repeating: c, count: view.count)
            case .uniform(let bound):
                for i in 0..<view.count { p[i] = Float.random(in: -bound...bound, using: &rng) }
            }
        }
        for (view, value) in pendingStateInit {
            (stateValues.pointer + view.offset).update(repeating: value, count: view.count)
        }
        pendingInit = []
        pendingStateInit = []
    }

    /// The number of trainable scalars.
    public var count: Int { values.count }

    /// Pointer to a parameter's values.
    @inline(__always) public func value(_ view: ParameterView) -> UnsafeMutablePointer<Float> {
        values.pointer + view.offset
    }

    /// Pointer to a parameter's gradient.
    @inline(__always) public func gradient(_ view: ParameterView) -> UnsafeMutablePointer<Float> {
        gradients.pointer + view.offset
    }

    /// Pointer to a state tensor.
    @inline(__always) public func stateValue(_ view: ParameterView) -> UnsafeMutablePointer<Float> {
        stateValues.pointer + view.offset
    }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.zero() }
}
