/// Where a project keeps each of its files inside its folder: one property or function per file or
/// folder, so that no project path is spelled twice.
///
/// ```
/// plankterm.sqlite            the database (with -wal and -shm beside it)
/// config.toml                 the project's settings (theme, …), optional
/// embeddings/<encoder>.f32    float32 rows; <encoder>.json says what they are, <encoder>.pca.safetensors
///                             the principal axes they are stored on
/// neighbors/<encoder>.knn     the k-nearest-neighbour graph of those rows
/// models/                     encoder-<id>.safetensors (pretrained and fine-tuned encoders), the pretraining
///                             checkpoint, and per classifier <id>.probs.f32, <id>.oof.f32, <id>.report.json
/// cache/pixels-<side>.*       preprocessed pixels for pretraining and fine-tuning
/// reports/                    abundance reports written by background jobs
/// simulations/                `plankterm simulate`'s default output
/// ```
///
/// Paths the database records (an encoder's weights, a classifier's posteriors) follow one rule:
/// `stored(_:)` writes a path inside the project folder relative to it and any other path absolute, and
/// `resolve(_:)` reads either form back, so a project folder can be moved and rows written either way
/// by earlier plankterms still read.
public struct ProjectLayout: Sendable, Equatable {
    /// The database file's name inside a project folder.
    public static let databaseFileName = "plankterm.sqlite"

    /// The project folder.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `relative` (a path inside the project, `/`-separated) as a path.
    public func path(_ relative: String) -> String {
        directory.isEmpty || directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    // MARK: Paths the database records

    /// A recorded path as a path: an absolute one as it is, a relative one inside the project folder.
    public func resolve(_ stored: String) -> String { stored.hasPrefix("/") ? stored : path(stored) }

    /// How the database records `path` (absolute, or relative to the working directory
    /// `currentDirectory`): relative to the project folder when it lies inside it, else absolute.
    public func stored(_ path: String, currentDirectory: String) -> String {
        let target = Self.normalised(path, in: currentDirectory)
        let folder = Self.normalised(directory, in: currentDirectory)
        let prefix = folder == "/" ? "/" : folder + "/"
        return target.hasPrefix(prefix) ? String(target.dropFirst(prefix.count)) : target
    }

    /// `path` made absolute against `base` with `.`, `..` and empty components taken out (links are not
    /// followed: the rule is about how a path is spelled, not where it ends up).
    static func normalised(_ path: String, in base: String) -> String {
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    // MARK: The database and settings

    public var database: String { path(Self.databaseFileName) }
    public var config: String { path("config.toml") }

    // MARK: Embeddings and neighbours

    public var embeddingsFolder: String { path("embeddings") }
    /// The rows of `encoder`'s embeddings.
    public func embeddings(encoder: String) -> String { path("embeddings/\(encoder).f32") }
    /// What `encoder`'s rows are (`EmbeddingsInfo`).
    public func embeddingsInfo(encoder: String) -> String { path("embeddings/\(encoder).json") }
    /// The name, inside the embeddings folder, of the principal axes `encoder`'s rows are stored on.
    public static func projectionName(encoder: String) -> String { "\(encoder).pca.safetensors" }
    /// A projection file by the name its embeddings record gives it.
    public func projection(named name: String) -> String { path("embeddings/" + name) }

    public var neighborsFolder: String { path("neighbors") }
    /// The k-NN graph of `encoder`'s rows.
    public func neighborGraph(encoder: String) -> String { path("neighbors/\(encoder).knn") }

    // MARK: Models

    public var modelsFolder: String { path("models") }
    /// A trained encoder's weights, named by its id, as the database records it.
    public static func encoderWeightsFile(encoder: String) -> String { "models/encoder-\(encoder).safetensors" }
    public func encoderWeights(encoder: String) -> String { path(Self.encoderWeightsFile(encoder: encoder)) }
    /// Where pretraining writes the finished encoder before it is named by its content.
    public var pretrainedEncoderTemporary: String { path("models/.encoder.tmp") }
    /// Where fine-tuning writes the tuned encoder before it is named by its content.
    public var finetunedEncoderTemporary: String { path("models/.finetune.tmp") }
    /// The checkpoint an interrupted pretraining resumes from.
    public var pretrainCheckpoint: String { path("models/pretrain-checkpoint.safetensors") }
    /// A classifier's calibrated posteriors, as its parameters record it.
    public static func posteriorsFile(model: String) -> String { "models/\(model).probs.f32" }
    /// A classifier's out-of-fold record, as its parameters record it.
    public static func outOfFoldFile(model: String) -> String { "models/\(model).oof.f32" }
    /// A classifier's change report (`ModelChangeReport`).
    public func changeReport(model: String) -> String { path("models/\(model).report.json") }

    // MARK: Caches, reports, simulations

    public var cacheFolder: String { path("cache") }
    /// The preprocessed pixels at `side` × `side`: the byte rows, the image id of each row, their hashes.
    public func pixelCache(side: Int) -> (pixels: String, ids: String, sums: String) {
        (path("cache/pixels-\(side).u8"), path("cache/pixels-\(side).ids"), path("cache/pixels-\(side).sum"))
    }

    public var reportsFolder: String { path("reports") }
    /// The abundance report of `model` grouped by the field `by`.
    public func abundanceReport(model: String, by: String) -> String {
        path("reports/abundance-\(model)-by-\(by.replacingOccurrences(of: "/", with: "_")).json")
    }

    /// `plankterm simulate`'s output when none is given.
    public func simulation(strategy: String, seed: UInt64) -> String {
        path("simulations/\(strategy)-seed\(seed).csv")
    }
}
