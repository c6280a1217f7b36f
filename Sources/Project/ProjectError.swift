/// What can go wrong with import and export, with the file (and row) it is about.
public enum ProjectError: Error, Sendable, CustomStringConvertible {
    /// The images folder does not exist or cannot be listed.
    case imagesFolder(path: String, reason: String)
    /// A label file could not be read.
    case labelFileUnreadable(path: String, reason: String)
    /// A label file's header lacks a needed column.
    case labelColumnMissing(path: String, what: String, header: [String])
    /// A row of a label file is malformed.
    case labelRow(path: String, row: Int, reason: String)
    /// The project has no images folder recorded and none was given.
    case noImagesFolder(project: String)
    /// An export could not be written.
    case exportFailed(path: String, reason: String)
    /// An option value that makes no sense.
    case invalidOption(String)
    /// A queued job of a kind this plankterm does not know.
    case unknownJobKind(String, known: [String])
    /// A queued job whose parameters (JSON) do not read as its kind's.
    case badJobParameters(kind: String, parameters: String, reason: String)
    /// No image of the project has an embedding.
    case noEmbeddings(project: String)
    /// A file plankterm wrote itself is damaged.
    case malformedFile(path: String, reason: String)
    /// A derived file (embeddings, posteriors) is missing or not what was written; `remedy` says how to
    /// rebuild it. Nothing is computed from it.
    case damaged(path: String, reason: String, remedy: String)
    /// A file could not be written (the OS error in words).
    case writeFailed(path: String, reason: String)
    /// Training needs more validated labels.
    case notEnoughLabels(project: String, reason: String)
    /// A command needs a trained classifier.
    case noModel(project: String)

    public var description: String {
        switch self {
        case .imagesFolder(let p, let r): return "\(p): \(r)"
        case .labelFileUnreadable(let p, let r): return "\(p): cannot read the label file: \(r)"
        case .labelColumnMissing(let p, let what, let header):
            return "\(p): no \(what) column in the header (\(header.prefix(12).joined(separator: ", ")))"
        case .labelRow(let p, let row, let r): return "\(p): row \(row): \(r)"
        case .noImagesFolder(let p): return "\(p): the project has no images folder yet"
        case .exportFailed(let p, let r): return "\(p): export failed: \(r)"
        case .invalidOption(let m): return m
        case .unknownJobKind(let k, let known):
            return "unknown job kind \(k.debugDescription) (known: \(known.joined(separator: ", ")))"
        case .badJobParameters(let k, let p, let r): return "\(k) job with parameters \(p): \(r)"
        case .noEmbeddings(let p): return "\(p): no image has an embedding yet"
        case .malformedFile(let p, let r): return "\(p): \(r)"
        case .damaged(let p, let r, _): return "\(p): damaged: \(r)"
        case .writeFailed(let p, let r): return "\(p): cannot write: \(r)"
        case .notEnoughLabels(let p, let r): return "\(p): \(r)"
        case .noModel(let p): return "\(p): no classifier has been trained yet"
        }
    }

    /// A suggestion for the person who hit the error, if one helps.
    public var hint: String? {
        switch self {
        case .labelColumnMissing(_, let what, _):
            return what == "path" ? "name it with --path-column NAME" : "name it with --label-column NAME"
        case .noImagesFolder: return "give one with --images DIR"
        case .imagesFolder: return "check the path given to --images"
        case .noEmbeddings(let p): return "run 'plankterm embed \(p)' first"
        case .notEnoughLabels(let p, _): return "label more images ('plankterm label \(p) …') and train again"
        case .noModel(let p): return "run 'plankterm train \(p)' first"
        case .damaged(_, _, let remedy): return remedy
        default: return nil
        }
    }
}
