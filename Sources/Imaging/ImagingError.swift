/// Why an image file could not be used. Every case names the file.
public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file has zero bytes.
    case empty(file: String)
    /// The contents are not PNG or JPEG.
    case unrecognizedFormat(file: String)
    /// The file holds one format but is named as another (a JPEG called `.png`).
    case extensionMismatch(file: String, named: String, actual: ImageFormat)
    /// The data ends before the image does.
    case truncated(file: String)
    /// The codec rejected the data.
    case corrupt(file: String, reason: String)
    /// The header claims more pixels than allowed; nothing was allocated.
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    /// A valid image of a kind plankterm does not decode.
    case unsupported(file: String, reason: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let f, _), .empty(let f), .unrecognizedFormat(let f), .extensionMismatch(let f, _, _),
            .truncated(let f), .corrupt(let f, _), .tooLarge(let f, _, _, _), .unsupported(let f, _):
            return f
        }
    }

    /// A short reason without the file name, as stored beside a failed image.
    public var reason: String {
        switch self {
        case .unreadable(_, let why): return "cannot read: \(why)"
        case .empty: return "empty file (0 bytes)"
        case .unrecognizedFormat: return "not a PNG or JPEG image"
        case .extensionMismatch(_, let named, let actual):
            return "the file is a \(actual.name) but is named .\(named)"
        case .truncated: return "truncated: the file ends before the image data does"
        case .corrupt(_, let why): return "corrupt image data: \(why)"
        case .tooLarge(_, let w, let h, let limit):
            return "\(w)×\(h) pixels is more than the limit of \(limit) pixels"
        case .unsupported(_, let why): return "unsupported image: \(why)"
        }
    }

    public var description: String { "\(file): \(reason)" }
}
