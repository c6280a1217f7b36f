import PlanktermCore

extension LabelingRuntime {
    /// What the runtime asks of the world: the labeling session, the project's jobs and exports.
    ///
    /// The closures are plain, not `@Sendable`: the live ones hold the labeling session, a class that is
    /// not thread-safe and lives on the screen's thread (as does the runtime); marking them `@Sendable`
    /// would take an `@unchecked Sendable` session, a promise it cannot keep.
    public struct Environment {
        // MARK: Labels
        /// Label (nil class: withdraw) one image, one transaction.
        public var label: (ImageID, String?, LabelStatus) throws -> Void
        /// Give several images one class, one transaction.
        public var labelMany: ([ImageID], String, LabelStatus) throws -> Void
        /// Give each image its own class, one transaction and one undo.
        public var labelEach: ([LabelChange], LabelStatus) throws -> Void
        /// Undo or redo the last change; the images it changed.
        public var undo: () throws -> [ImageID]
        public var redo: () throws -> [ImageID]

        // MARK: What the screens show
        /// The item at a queue position, and one image's item.
        public var itemAt: (Int) -> ItemView?
        public var item: (ImageID) -> ItemView?
        /// One image at its own resolution, for pixel graphics and zoom (nil: only the thumbnail).
        public var picture: (ImageID) -> PixelImage?
        /// The images of a Grid source, in order, and one Grid tile.
        public var gridItems: (GridSource) -> [ImageID]
        public var tile: (ImageID) -> GridTile?
        public var classNames: () -> [String]
        /// The Classes screen's rows.
        public var classRows: () throws -> [ClassRowView]

        // MARK: Classes
        public var addClass: (String) throws -> Void
        /// Renames a class (old, new).
        public var renameClass: (String, String) throws -> Void
        /// Moves a class's labels into another (source, target); how many labels moved.
        public var mergeClass: (String, String) throws -> Int

        // MARK: The model and the queue
        /// The queue, model and class names the session holds now.
        public var queue: () -> QueueSnapshot
        /// Re-reads the current model's predictions and rebuilds the queue; a strategy name (one of
        /// `vocabulary.queues`) changes how it is ordered, nil keeps it.
        public var reload: (_ strategy: String?) throws -> Void
        /// The project's current model, which another process may have trained since the session loaded.
        public var latestModelId: () -> String?
        /// What a model changed, in one line (nil: no report for it).
        public var modelChangeSummary: (_ modelId: String) -> String?

        // MARK: Jobs and exports
        /// Queue a job; its id.
        public var enqueue: (JobRequest) throws -> Int64
        /// Cancel a job (false: it had ended); queue a job again (its new id, nil: no such job).
        public var cancelJob: (Int64) throws -> Bool
        public var retryJob: (Int64) throws -> Int64?
        public var jobs: () throws -> [JobView]
        /// Export the labels in a format (one of `vocabulary.exportFormats`) to a path.
        public var export: (_ format: String, _ path: String) throws -> ExportSummary
        /// Whether this process runs queued jobs (else the message points at `plankterm worker`).
        public var runsJobs: Bool
        /// The heads, queue strategies and export formats `:` commands may name.
        public var vocabulary: ColonCommand.Vocabulary

        public init(
            label: @escaping (ImageID, String?, LabelStatus) throws -> Void,
            labelMany: @escaping ([ImageID], String, LabelStatus) throws -> Void,
            labelEach: @escaping ([LabelChange], LabelStatus) throws -> Void,
            undo: @escaping () throws -> [ImageID], redo: @escaping () throws -> [ImageID],
            itemAt: @escaping (Int) -> ItemView?, item: @escaping (ImageID) -> ItemView?,
            picture: @escaping (ImageID) -> PixelImage?, gridItems: @escaping (GridSource) -> [ImageID],
            tile: @escaping (ImageID) -> GridTile?, classNames: @escaping () -> [String],
            classRows: @escaping () throws -> [ClassRowView],
            addClass: @escaping (String) throws -> Void, renameClass: @escaping (String, String) throws -> Void,
            mergeClass: @escaping (String, String) throws -> Int,
            queue: @escaping () -> QueueSnapshot, reload: @escaping (String?) throws -> Void,
            latestModelId: @escaping () -> String?, modelChangeSummary: @escaping (String) -> String?,
            enqueue: @escaping (JobRequest) throws -> Int64,
            cancelJob: @escaping (Int64) throws -> Bool, retryJob: @escaping (Int64) throws -> Int64?,
            jobs: @escaping () throws -> [JobView], export: @escaping (String, String) throws -> ExportSummary,
            runsJobs: Bool, vocabulary: ColonCommand.Vocabulary
        ) {
            self.label = label
            self.labelMany = labelMany
            self.labelEach = labelEach
            self.undo = undo
            self.redo = redo
            self.itemAt = itemAt
            self.item = item
            self.picture = picture
            self.gridItems = gridItems
            self.tile = tile
            self.classNames = classNames
            self.classRows = classRows
            self.addClass = addClass
            self.renameClass = renameClass
            self.mergeClass = mergeClass
            self.queue = queue
            self.reload = reload
            self.latestModelId = latestModelId
            self.modelChangeSummary = modelChangeSummary
            self.enqueue = enqueue
            self.cancelJob = cancelJob
            self.retryJob = retryJob
            self.jobs = jobs
            self.export = export
            self.runsJobs = runsJobs
            self.vocabulary = vocabulary
        }
    }
}

/// A job the labeling screen queues, in the names `Labeling` knows (heads and report groupings by
/// their raw names); the executable maps it to the project's job parameters.
public enum JobRequest: Sendable, Equatable {
    /// Train a classifier; nil head: the settings' head.
    case train(reason: String, head: String?)
    /// SimCLR pretraining of the encoder, adapting the shipped one.
    case pretrain(epochs: Int)
    /// Fine-tune the encoder's last stage on the labels.
    case finetune(epochs: Int)
    /// Embed the images that have no embedding yet.
    case embed
    /// An abundance report grouped by a field.
    case abundance(by: String)
}

/// The queue and model a labeling session holds, as the screen takes them after a reload.
public struct QueueSnapshot: Sendable, Equatable {
    public var items: [ImageID]
    public var name: String
    public var modelId: String?
    public var modelCaution: String?
    public var classNames: [String]

    public init(items: [ImageID], name: String, modelId: String?, modelCaution: String?, classNames: [String]) {
        self.items = items
        self.name = name
        self.modelId = modelId
        self.modelCaution = modelCaution
        self.classNames = classNames
    }
}

/// What an export wrote: how many labels, and where.
public struct ExportSummary: Sendable, Equatable {
    public var labels: Int
    public var output: String

    public init(labels: Int, output: String) {
        self.labels = labels
        self.output = output
    }
}
