import Foundation

/// Row-wise softmax and friends on row-major `Double` matrices (n rows × k columns).
public enum Probabilities {
    /// softmax(z / temperature + bias) of each row of `logits`, into a new matrix.
    public static func softmax(
        _ logits: [Double], classes k: Int, temperature: Double = 1,
        bias: [Double]? = nil
    ) -> [Double] {
        var out = logits
        softmaxInPlace(&out, classes: k, temperature: temperature, bias: bias)
        return out
    }

    public static func softmaxInPlace(
        _ values: inout [Double], classes k: Int, temperature: Double = 1,
        bias: [Double]? = nil
    ) {
        precondition(k > 0 && values.count % k == 0)
        let rows = values.count / k
        values.withUnsafeMutableBufferPointer { v in
            for r in 0..<rows {
                let row = v.baseAddress! + r * k
                var top = -Double.infinity
                for j in 0..<k {
                    row[j] = row[j] / temperature + (bias?[j] ?? 0)
                    top = max(top, row[j])
                }
                var sum = 0.0
                for j in 0..<k {
                    row[j] = exp(row[j] - top)
                    sum += row[j]
                }
                for j in 0..<k { row[j] /= sum }
            }
        }
    }

    /// The index of the largest value of each row.
    public static func argmax(_ values: [Double], classes k: Int) -> [Int] {
        let rows = values.count / k
        return (0..<rows).map { r in
            var best = 0
            for j in 1..<k where values[r * k + j] > values[r * k + best] { best = j }
            return best
        }
    }

    /// The balanced call of each row of calibrated posteriors under `train` (issue 15): the class of
    /// largest q_j / π_train_j, i.e. argmax of the posterior with every class equally likely (the
    /// "rare-class view"). It maximises balanced accuracy; argmax of the prior-corrected p′ maximises
    /// accuracy on this sample instead. Classes with π_train 0 are never called. With π_train uniform (every
    /// head plankterm trains) this is argmax q.
    public static func balancedCalls(_ posteriors: [Double], classes k: Int, train: [Double]) -> [Int] {
        precondition(train.count == k)
        let weight = train.map { $0 > 0 ? 1 / $0 : 0 }
        let rows = posteriors.count / k
        return (0..<rows).map { r in
            var best = -1, top = -Double.infinity
            for j in 0..<k where weight[j] > 0 {
                let v = posteriors[r * k + j] * weight[j]
                if v > top { top = v; best = j }
            }
            return max(best, 0)
        }
    }

    /// Multiplies each row by `target/train` elementwise and renormalises (the Bayes prior shift):
    /// p′ ∝ p · π_target / π_train, the same as softmax(z + log π_target − log π_train).
    public static func shiftPrior(
        _ probabilities: [Double], classes k: Int, train: [Double],
        target: [Double]
    ) -> [Double] {
        precondition(train.count == k && target.count == k)
        var out = probabilities
        let rows = out.count / k
        let ratio = (0..<k).map { train[$0] > 0 ? target[$0] / train[$0] : 0 }
        for r in 0..<rows {
            var sum = 0.0
            for j in 0..<k {
                out[r * k + j] *= ratio[j]
                sum += out[r * k + j]
            }
            if sum > 0 { for j in 0..<k { out[r * k + j] /= sum } }
        }
        return out
    }
}
