import PlanktermCore

/// The screens of the labeling session, in the order Tab visits them.
public enum ScreenKind: String, Sendable, Equatable, CaseIterable {
    case label, grid, classes, jobs

    public var title: String {
        switch self {
        case .label: "Label"
        case .grid: "Grid"
        case .classes: "Classes"
        case .jobs: "Jobs"
        }
    }
}

/// What a class picker's Enter does.
public enum PickerPurpose: Sendable, Equatable {
    /// Label the current image (Label screen).
    case labelCurrent
    /// Relabel the selected tiles, or the one under the cursor (Grid).
    case relabelSelected
    /// Show the images predicted as a class in the Grid.
    case filterGrid
    /// Merge the class into the one picked (Classes).
    case mergeInto(String)
    /// Rename a class to exactly what is typed (Classes).
    case rename(String)
    /// Add a class named exactly what is typed (Classes).
    case addClass

    /// Whether Enter takes the text as typed rather than the best match.
    public var takesTypedText: Bool {
        switch self {
        case .rename, .addClass: true
        default: false
        }
    }

    public var prompt: String {
        switch self {
        case .labelCurrent, .relabelSelected: "class"
        case .filterGrid: "show class"
        case .mergeInto(let name): "merge \(name) into"
        case .rename(let name): "rename \(name) to"
        case .addClass: "new class"
        }
    }
}

/// What the Grid shows.
public enum GridSource: Sendable, Equatable {
    /// The review queue, in queue order.
    case queue
    /// The images the model predicts as a class and no expert has labelled, most confident first.
    case predicted(String)
    /// The images experts gave a class, so a class can be checked.
    case labelled(String)
    /// The images whose prediction the latest model changed, least confident first.
    case changed

    public var title: String {
        switch self {
        case .queue: "queue"
        case .predicted(let c): "predicted \(c), most confident first"
        case .labelled(let c): "labelled \(c)"
        case .changed: "changed by the latest model, least confident first"
        }
    }
}

/// One thumbnail of the Grid.
public struct GridTile: Sendable, Equatable {
    public var imageID: ImageID
    public var path: String
    public var thumbnail: PixelImage?
    public var label: String?
    public var status: LabelStatus?
    public var predicted: String?
    public var probability: Double?
    /// The image's own width in pixels, when the thumbnail was made smaller (size-true thumbnails).
    public var fullWidth: Int? = nil

    public init(
        imageID: ImageID, path: String, thumbnail: PixelImage?, label: String?, status: LabelStatus?,
        predicted: String?, probability: Double?
    ) {
        self.imageID = imageID
        self.path = path
        self.thumbnail = thumbnail
        self.label = label
        self.status = status
        self.predicted = predicted
        self.probability = probability
    }

    /// What validating this tile gives: the expert's class if any, else the prediction.
    public var offeredClass: String? { label ?? predicted }
}

/// The Grid / review screen: many thumbnails, a cursor, a selection.
public struct GridState: Sendable, Equatable {
    public var source: GridSource = .queue
    public var items: [ImageID] = []
    public var cursor = 0
    /// The first item shown (a multiple of `columns`).
    public var top = 0
    /// Set by the shell from the screen size (GridScreen.layout).
    public var columns = 1
    public var rows = 1
    public var selected: Set<Int> = []
    var anchor: Int?
    /// Tiles of the items on screen, loaded by the shell.
    public var tiles: [ImageID: GridTile] = [:]

    public init() {}

    public var pageSize: Int { max(1, columns * rows) }

    /// The items on screen.
    public var visible: Range<Int> { top..<min(items.count, top + pageSize) }

    /// The selected items, or the one under the cursor when nothing is selected.
    public var targets: [Int] {
        selected.isEmpty ? (items.indices.contains(cursor) ? [cursor] : []) : selected.sorted()
    }

    /// Moves the cursor and scrolls so that it stays on screen.
    public mutating func move(to index: Int) {
        guard !items.isEmpty else { cursor = 0; top = 0; return }
        cursor = max(0, min(items.count - 1, index))
        if cursor < top { top = cursor - cursor % max(1, columns) }
        if cursor >= top + pageSize { top = (cursor / max(1, columns) - rows + 1) * max(1, columns) }
        top = max(0, top)
    }
}

/// A class on the Classes screen.
public struct ClassRowView: Sendable, Equatable {
    public var name: String
    public var validated: Int
    public var dubious: Int
    public var predicted: Int
    /// From the current model's out-of-fold evaluation (calibrated), when it has the class.
    public var precision: Double?
    public var recall: Double?

    public init(name: String, validated: Int, dubious: Int, predicted: Int, precision: Double?, recall: Double?) {
        self.name = name
        self.validated = validated
        self.dubious = dubious
        self.predicted = predicted
        self.precision = precision
        self.recall = recall
    }
}

public struct ClassesState: Sendable, Equatable {
    public var rows: [ClassRowView] = []
    public var cursor = 0
    public var top = 0
    public init() {}
}

/// A background job as the Jobs screen and the status bar show it.
public struct JobView: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var state: String
    public var progress: Double
    public var message: String
    public var error: String?

    public init(id: Int64, kind: String, state: String, progress: Double, message: String, error: String?) {
        self.id = id
        self.kind = kind
        self.state = state
        self.progress = progress
        self.message = message
        self.error = error
    }
}

public struct JobsState: Sendable, Equatable {
    public var jobs: [JobView] = []
    public var cursor = 0
    public init() {}
}
