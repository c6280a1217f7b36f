/// The eight ways to lay a square image down again: mirrors and quarter turns (the dihedral group D4).
/// An embedding over `n` orientations averages the pooled features of the first `n` of `all`; each of
/// those prefixes (1, 2, 4, 8) is closed under composition, so the average is the same for an image and
/// for any of its orientations in the prefix. The order is `Benchmarks/imagenet_torch_features.py`'s.
public enum Orientation: Int, Sendable, CaseIterable {
    case identity, mirrorLeftRight, mirrorUpDown, halfTurn
    case quarterTurn, quarterTurnMirrored, transpose, threeQuarterTurn

    /// The orientation counts an encoder may ask for.
    public static let counts = [1, 2, 4, 8]

    /// The source pixel (row, column) that lands at (`row`, `column`) of a `side`×`side` image in this
    /// orientation. `quarterTurn` is `torch.rot90(x, 1, [2, 3])`: out[i][j] = in[j][side − 1 − i].
    @inline(__always)
    public func source(row i: Int, column j: Int, side s: Int) -> (row: Int, column: Int) {
        switch self {
        case .identity: (i, j)
        case .mirrorLeftRight: (i, s - 1 - j)
        case .mirrorUpDown: (s - 1 - i, j)
        case .halfTurn: (s - 1 - i, s - 1 - j)
        case .quarterTurn: (j, s - 1 - i)
        case .quarterTurnMirrored: (s - 1 - j, s - 1 - i)
        case .transpose: (j, i)
        case .threeQuarterTurn: (s - 1 - j, i)
        }
    }

    /// Writes `pixels` (`side`×`side`, row-major) in this orientation into `out`, scaled by `scale`.
    public func apply(_ pixels: UnsafePointer<UInt8>, side: Int, scale: Float, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<side {
            for j in 0..<side {
                let (r, c) = source(row: i, column: j, side: side)
                out[i * side + j] = Float(pixels[r * side + c]) * scale
            }
        }
    }
}
