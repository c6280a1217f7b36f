import Foundation
import PlanktermCore

/// SimCLR's random views of one preprocessed image (two per image in each step), seeded.
///
/// Input and output are `side`×`side` gray images as floats in [0, 1], light objects on a dark
/// background (so the zero fill outside a rotated crop is background). One view: a random resized crop
/// (area 0.3–1 of the image, aspect 3/4–4/3) rotated by any angle and flipped at random, all as one
/// bilinear resampling; brightness/contrast jitter (p 0.8); Gaussian blur (p 0.5, σ 0.1–2 px); small
/// Gaussian noise; clamped to [0, 1]. The same generator state gives the same view.
public struct Augmenter: Sendable {
    public var side: Int
    public var cropArea: ClosedRange<Float> = 0.3...1
    public var aspect: ClosedRange<Float> = 0.75...(4.0 / 3.0)
    public var jitterProbability: Float = 0.8
    public var brightness: Float = 0.2
    public var contrast: Float = 0.3
    public var blurProbability: Float = 0.5
    public var blurSigma: ClosedRange<Float> = 0.1...2
    public var noise: Float = 0.02

    public init(side: Int) { self.side = side }

    /// Writes one random view of `image` into `view` (both side×side).
    public func view(
        of image: UnsafePointer<Float>, into view: UnsafeMutablePointer<Float>,
        using rng: inout SeededGenerator
    ) {
        let s = side
        let area = Float.random(in: cropArea, using: &rng)
        let ratio = exp(Float.random(in: log(aspect.lowerBound)...log(aspect.upperBound), using: &rng))
        let cw = min(1, (area * ratio).squareRoot()), ch = min(1, (area / ratio).squareRoot())
        let cx = Float.random(in: -1...1, using: &rng) * (1 - cw)
        let cy = Float.random(in: -1...1, using: &rng) * (1 - ch)
        let angle = Float.random(in: 0..<(2 * .pi), using: &rng)
        let fx: Float = Bool.random(using: &rng) ? -1 : 1
        let fy: Float = Bool.random(using: &rng) ? -1 : 1
        let (cosA, sinA) = (cos(angle), sin(angle))
        // Normalised output coords u, v ∈ (-1, 1) map to source coords: c + R·diag(fx·cw, fy·ch)·(u, v).
        let a00 = cw * cosA * fx, a01 = -ch * sinA * fy, a10 = cw * sinA * fx, a11 = ch * cosA * fy
        let half = Float(s) / 2
        for y in 0..<s {
            let v = (Float(y) + 0.5) / half - 1
            for x in 0..<s {
                let u = (Float(x) + 0.5) / half - 1
                let sx = (a00 * u + a01 * v + cx + 1) * half - 0.5
                let sy = (a10 * u + a11 * v + cy + 1) * half - 0.5
                view[y * s + x] = Self.bilinear(image, side: s, x: sx, y: sy)
            }
        }
        let count = s * s
        if Float.random(in: 0..<1, using: &rng) < jitterProbability {
            let b = Float.random(in: -brightness...brightness, using: &rng)
            let c = 1 + Float.random(in: -contrast...contrast, using: &rng)
            var mean: Float = 0
            for i in 0..<count { mean += view[i] }
            mean /= Float(count)
            for i in 0..<count { view[i] = (view[i] - mean) * c + mean + b }
        }
        if Float.random(in: 0..<1, using: &rng) < blurProbability {
            blur(view, sigma: Float.random(in: blurSigma, using: &rng))
        }
        for i in 0..<count {
            view[i] = min(1, max(0, view[i] + noise * Self.gaussian(using: &rng)))
        }
    }

    /// Bilinear sample with zero outside the image.
    @inline(__always)
    static func bilinear(_ image: UnsafePointer<Float>, side: Int, x: Float, y: Float) -> Float {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = x - Float(x0), fy = y - Float(y0)
        @inline(__always) func at(_ xx: Int, _ yy: Int) -> Float {
            xx >= 0 && xx < side && yy >= 0 && yy < side ? image[yy * side + xx] : 0
        }
        let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
        let bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }

    /// Separable Gaussian blur in place, radius 4, edges clamped.
    func blur(_ image: UnsafeMutablePointer<Float>, sigma: Float) {
        let radius = 4, s = side
        var kernel = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        for i in kernel.indices { kernel[i] /= total }
        var tmp = [Float](repeating: 0, count: s * s)
        for y in 0..<s {
            for x in 0..<s {
                var acc: Float = 0
                for k in -radius...radius { acc += kernel[k + radius] * image[y * s + min(s - 1, max(0, x + k))] }
                tmp[y * s + x] = acc
            }
        }
        for y in 0..<s {
            for x in 0..<s {
                var acc: Float = 0
                for k in -radius...radius { acc += kernel[k + radius] * tmp[min(s - 1, max(0, y + k)) * s + x] }
                image[y * s + x] = acc
            }
        }
    }

    /// A standard normal sample (Box–Muller).
    static func gaussian(using rng: inout SeededGenerator) -> Float {
        let u1 = Float.random(in: Float.leastNormalMagnitude..<1, using: &rng)
        let u2 = Float.random(in: 0..<1, using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
