import PlanktermCore

/// A class the model proposes, with its calibrated probability.
public struct Guess: Sendable, Equatable {
    public var name: String
    public var probability: Double
    public init(name: String, probability: Double) {
        self.name = name
        self.probability = probability
    }
}

/// A look-alike of the current image, as the screen shows it.
public struct NeighborView: Sendable, Equatable {
    public var imageID: ImageID
    public var path: String
    public var thumbnail: PixelImage?
    /// The expert's label, if any.
    public var label: String?
    public var status: LabelStatus?
    /// The model's call, if any.
    public var predicted: String?
    public var similarity: Float
    /// The image's own width in pixels, when the thumbnail was made smaller (size-true thumbnails).
    public var fullWidth: Int? = nil

    public init(
        imageID: ImageID, path: String, thumbnail: PixelImage?, label: String?, status: LabelStatus?,
        predicted: String?, similarity: Float
    ) {
        self.imageID = imageID
        self.path = path
        self.thumbnail = thumbnail
        self.label = label
        self.status = status
        self.predicted = predicted
        self.similarity = similarity
    }

    /// What pressing this neighbour's number gives: its expert label, else its prediction.
    public var offeredClass: String? { label ?? predicted }
}

/// Everything the Label screen shows about the current image.
public struct ItemView: Sendable, Equatable {
    public var imageID: ImageID
    public var path: String
    public var width: Int
    public var height: Int
    public var thumbnail: PixelImage?
    public var label: String?
    public var status: LabelStatus?
    /// Top classes in this sample, best first (up to 3 shown): probabilities corrected to the class mix
    /// expected in this sample.
    public var guesses: [Guess]
    /// The model's call: the class it assigns (what Enter accepts, review by class and exports use), made
    /// with every class equally likely, the "rare-class view" (issue 15). nil: take the first guess.
    public var call: String? = nil
    public var reason: String
    public var neighbors: [NeighborView]
    /// The image at its own resolution (the thumbnail is at most 128 px a side), for pixel graphics and
    /// zoom; nil when only the thumbnail is at hand.
    public var picture: PixelImage? = nil

    public init(
        imageID: ImageID, path: String, width: Int, height: Int, thumbnail: PixelImage?, label: String?,
        status: LabelStatus?, guesses: [Guess], reason: String, neighbors: [NeighborView]
    ) {
        self.imageID = imageID
        self.path = path
        self.width = width
        self.height = height
        self.thumbnail = thumbnail
        self.label = label
        self.status = status
        self.guesses = guesses
        self.reason = reason
        self.neighbors = neighbors
    }

    /// What the model gives this image: its call, else its first guess.
    public var modelClass: String? { call ?? guesses.first?.name }
}

/// A key press, decoded by the terminal driver.
public enum Key: Sendable, Equatable {
    case character(Character)
    case enter, escape, backspace, up, down, left, right, tab
    case control(Character)
    case resize
    /// Text the terminal marked as pasted (bracketed paste): taken as text by the picker and the command
    /// line, never run as keys.
    case paste(String)

    /// `text` as one line of typed text: control characters and line breaks dropped.
    public static func pastedText(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { s in
                    !(s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value))
                }))
    }
}

/// The state of a labeling session (the Label screen).
public struct LabelingState: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case normal
        /// Type-ahead class picker with what was typed so far (what Enter does: `pickerPurpose`).
        case picker(String)
        /// The `:` command line with what was typed so far.
        case command(String)
        case help
    }

    /// The screen shown (Tab cycles).
    public var screen: ScreenKind = .label
    public var pickerPurpose: PickerPurpose = .labelCurrent
    public var grid = GridState()
    public var classes = ClassesState()
    public var jobs = JobsState()
    /// The running background job in one line, for the status bar ("" when none).
    public var jobLine = ""

    public var project: String
    public var queueName: String
    /// The images to go through, in queue order.
    public var items: [ImageID]
    public var index: Int
    public var current: ItemView?
    public var classNames: [String]
    public var modelId: String?
    /// Set when the model's calibration is not yet to be trusted (few labels): the screen says so beside
    /// the percentages.
    public var modelCaution: String?
    public var mode: Mode = .normal
    /// One line for the status bar: what the last key did.
    public var message: String = ""
    public var labelled = 0
    public var quit = false
    /// The neighbour under the cursor (0-based) and the neighbours selected for a bulk assignment.
    public var neighborCursor = 0
    public var selected: Set<Int> = []
    var selectionAnchor: Int?
    /// The main image's magnification: 1 fits it to its box; `+`/`-` step through `zoomLevels`.
    public var zoom: Double = 1
    /// When zoomed, the point of the image at the centre of the box, as fractions of its width and height
    /// (the arrows pan).
    public var panX = 0.5, panY = 0.5
    /// The Grid and the neighbour strip at one scale for all their images (`z`), so that size shows;
    /// off: each image fitted to its tile.
    public var sizeTrue = false

    public static let zoomLevels: [Double] = [1, 1.5, 2, 3, 4, 6, 8]

    /// Back to the fitted, centred main image (a new image is shown).
    public mutating func resetZoom() {
        zoom = 1
        panX = 0.5
        panY = 0.5
    }

    public init(project: String, queueName: String, items: [ImageID], classNames: [String], modelId: String?) {
        self.project = project
        self.queueName = queueName
        self.items = items
        self.index = 0
        self.classNames = classNames
        self.modelId = modelId
    }

    /// A new screen's state on a session's queue, model and class names.
    public init(project: String, queue: QueueSnapshot) {
        self.init(project: project, queueName: "", items: [], classNames: [], modelId: nil)
        take(queue)
    }

    /// Takes a session's queue, model and class names (at the start, and after it re-read them).
    public mutating func take(_ queue: QueueSnapshot) {
        items = queue.items
        queueName = queue.name
        modelId = queue.modelId
        modelCaution = queue.modelCaution
        classNames = queue.classNames
    }

    /// Class names matching the picker's text: prefix matches first, then substring, then the letters
    /// in order (fuzzy); case-insensitive.
    public func matches(_ query: String) -> [String] {
        let q = query.lowercased()
        guard !q.isEmpty else { return classNames }
        let lower = classNames.map { $0.lowercased() }
        let prefix = classNames.indices.filter { lower[$0].hasPrefix(q) }
        let substring = classNames.indices.filter { !lower[$0].hasPrefix(q) && lower[$0].contains(q) }
        let fuzzy = classNames.indices.filter { i in
            guard !lower[i].contains(q) else { return false }
            var rest = Substring(lower[i])
            for c in q {
                guard let found = rest.firstIndex(of: c) else { return false }
                rest = rest[rest.index(after: found)...]
            }
            return true
        }
        return (prefix + substring + fuzzy).map { classNames[$0] }
    }
}
