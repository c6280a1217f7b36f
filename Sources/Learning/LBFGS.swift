/// Limited-memory BFGS for smooth unconstrained minimisation, with a strong-Wolfe line search.
///
/// Deterministic: the same objective and start give the same iterates. The objective writes its
/// gradient into the buffer it is given and returns its value.
public struct LBFGS: Sendable {
    /// How many correction pairs are kept.
    public var memory = 10
    public var maxIterations = 1_000
    /// Stop when the largest gradient component is below this.
    public var gradientTolerance = 1e-7
    /// Stop when the objective improves by less than this, relative to its size.
    public var relativeTolerance = 1e-12

    public init(maxIterations: Int = 1_000, gradientTolerance: Double = 1e-7) {
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
    }

    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var iterations: Int
        public var evaluations: Int
        public var converged: Bool
    }

    public typealias Objective = (_ x: UnsafeBufferPointer<Double>, _ gradient: UnsafeMutableBufferPointer<Double>) ->
        Double

    public func minimize(from start: [Double], _ objective: Objective) -> Result {
        let n = start.count
        var x = start
        var g = [Double](repeating: 0, count: n)
        var evaluations = 0
        func evaluate(_ point: [Double], _ gradient: inout [Double]) -> Double {
            evaluations += 1
            return point.withUnsafeBufferPointer { p in gradient.withUnsafeMutableBufferPointer { objective(p, $0) } }
        }
        var f = evaluate(x, &g)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        var direction = [Double](repeating: 0, count: n)
        var alpha = [Double](repeating: 0, count: memory)
        var iteration = 0
        var converged = Self.maxAbs(g) <= gradientTolerance
        while !converged && iteration < maxIterations {
            iteration += 1
            // Two-loop recursion: direction = −H·g.
            for i in 0..<n { direction[i] = -g[i] }
            for j in stride(from: s.count - 1, through: 0, by: -1) {
                alpha[j] = rho[j] * Self.dot(s[j], direction)
                for i in 0..<n { direction[i] -= alpha[j] * y[j][i] }
            }
            if let last = s.indices.last {
                let gamma = Self.dot(s[last], y[last]) / Self.dot(y[last], y[last])
                for i in 0..<n { direction[i] *= gamma }
            } else {
                let scale = 1 / max(Self.norm(g), 1e-300)
                for i in 0..<n { direction[i] *= min(1, scale) }
            }
            for j in 0..<s.count {
                let beta = rho[j] * Self.dot(y[j], direction)
                for i in 0..<n { direction[i] += s[j][i] * (alpha[j] - beta) }
            }
            var slope = Self.dot(g, direction)
            if slope >= 0 {  // not a descent direction: restart from steepest descent
                s.removeAll(); y.removeAll(); rho.removeAll()
                for i in 0..<n { direction[i] = -g[i] }
                slope = Self.dot(g, direction)
            }
            guard let step = lineSearch(x: x, f: f, g: g, direction: direction, slope: slope, evaluate: evaluate) else {
                break
            }
            let newX = step.x, newG = step.g
            var sk = [Double](repeating: 0, count: n), yk = [Double](repeating: 0, count: n)
            for i in 0..<n { sk[i] = newX[i] - x[i]; yk[i] = newG[i] - g[i] }
            let sy = Self.dot(sk, yk)
            let previous = f
            x = newX; g = newG; f = step.f
            if sy > 1e-12 * Self.dot(yk, yk) && sy > 0 {
                if s.count == memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
                s.append(sk); y.append(yk); rho.append(1 / sy)
            }
            if Self.maxAbs(g) <= gradientTolerance { converged = true; break }
            if abs(previous - f) <= relativeTolerance * max(abs(f), abs(previous), 1) { converged = true; break }
        }
        return Result(x: x, value: f, iterations: iteration, evaluations: evaluations, converged: converged)
    }

    private struct Step { var x: [Double]; var f: Double; var g: [Double] }

    /// Strong Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6) with c₁ = 1e-4, c₂ = 0.9.
    private func lineSearch(
        x: [Double], f: Double, g: [Double], direction: [Double], slope: Double,
        evaluate: (_ point: [Double], _ gradient: inout [Double]) -> Double
    ) -> Step? {
        let c1 = 1e-4, c2 = 0.9
        let n = x.count
        func probe(_ a: Double) -> Step {
            var point = x
            for i in 0..<n { point[i] += a * direction[i] }
            var gradient = [Double](repeating: 0, count: n)
            let value = evaluate(point, &gradient)
            return Step(x: point, f: value, g: gradient)
        }
        func zoom(_ lo0: Double, _ hi0: Double, _ loStep0: Step) -> Step? {
            var lo = lo0, hi = hi0, loStep = loStep0
            for _ in 0..<40 {
                let a = 0.5 * (lo + hi)
                let trial = probe(a)
                let trialSlope = Self.dot(trial.g, direction)
                if !trial.f.isFinite || trial.f > f + c1 * a * slope || trial.f >= loStep.f {
                    hi = a
                } else {
                    if abs(trialSlope) <= -c2 * slope { return trial }
                    if trialSlope * (hi - lo) >= 0 { hi = lo }
                    lo = a; loStep = trial
                }
                if abs(hi - lo) < 1e-16 { break }
            }
            return loStep.f < f ? loStep : nil
        }
        var previousA = 0.0
        var previous = Step(x: x, f: f, g: g)
        var a = 1.0
        for i in 0..<30 {
            let trial = probe(a)
            if !trial.f.isFinite || trial.f > f + c1 * a * slope || (i > 0 && trial.f >= previous.f) {
                return zoom(previousA, a, previous)
            }
            let trialSlope = Self.dot(trial.g, direction)
            if abs(trialSlope) <= -c2 * slope { return trial }
            if trialSlope >= 0 { return zoom(a, previousA, trial) }
            previousA = a; previous = trial
            a *= 2
        }
        return previous.f < f ? previous : nil
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
}
