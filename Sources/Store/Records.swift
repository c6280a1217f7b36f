import Foundation
import PlanktermCore

/// What the importer learned about one image file, ready to be stored.
public struct ImageFacts: Sendable, Equatable {
    /// Relative to the images root, `/`-separated.
    public var path: String
    public var hash: String?
    public var byteSize: Int64
    /// File mtime, seconds since 1970.
    public var modifiedAt: Double
    public var format: String?
    public var width: Int?
    public var height: Int?
    public var channels: Int?
    public var bitDepth: Int?
    public var sourceColor: String?
    /// Why the file could not be decoded; nil when it could.
    public var failure: String?

    public init(
        path: String, hash: String?, byteSize: Int64, modifiedAt: Double, format: String? = nil,
        width: Int? = nil, height: Int? = nil, channels: Int? = nil, bitDepth: Int? = nil,
        sourceColor: String? = nil, failure: String? = nil
    ) {
        self.path = path
        self.hash = hash
        self.byteSize = byteSize
        self.modifiedAt = modifiedAt
        self.format = format
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.sourceColor = sourceColor
        self.failure = failure
    }
}

/// The stored state of an image that an incremental import compares with the file on disk.
public struct ImageFingerprint: Sendable, Equatable {
    public var id: ImageID
    public var path: String
    public var hash: String?
    public var byteSize: Int64
    public var modifiedAt: Double
    public var failed: Bool
    public var missing: Bool
}

/// A label to append to an image's history.
public struct AnnotationDraft: Sendable, Equatable {
    public var imageID: ImageID
    /// nil withdraws the image's label.
    public var className: String?
    public var status: LabelStatus
    public var annotator: String
    public var time: Date
    /// `import`, `tui`, `cli`, `model:<id>`.
    public var source: String
    public var confidence: Double?

    public init(
        imageID: ImageID, className: String?, status: LabelStatus, annotator: String, time: Date,
        source: String, confidence: Double? = nil
    ) {
        self.imageID = imageID
        self.className = className
        self.status = status
        self.annotator = annotator
        self.time = time
        self.source = source
        self.confidence = confidence
    }
}

/// An image's current label with the annotation that set it.
public struct CurrentLabel: Sendable, Equatable {
    public var imageID: ImageID
    public var path: String
    public var hash: String?
    public var className: String
    public var status: LabelStatus
    public var annotator: String
    public var time: Date
    public var source: String
    public var confidence: Double?

    public init(
        imageID: ImageID, path: String, hash: String?, className: String, status: LabelStatus,
        annotator: String, time: Date, source: String, confidence: Double?
    ) {
        self.imageID = imageID
        self.path = path
        self.hash = hash
        self.className = className
        self.status = status
        self.annotator = annotator
        self.time = time
        self.source = source
        self.confidence = confidence
    }
}

/// What the importer needs to know about an image's labels to stay idempotent and never undo an expert.
public struct LabelState: Sendable, Equatable {
    /// Class and status of the latest annotation whose source is `import`.
    public var lastImported: (className: String?, status: LabelStatus)?
    /// The current label: class, status and the source that set it.
    public var current: (className: String, status: LabelStatus, source: String)?

    public static func == (a: LabelState, b: LabelState) -> Bool {
        a.lastImported?.className == b.lastImported?.className && a.lastImported?.status == b.lastImported?.status
            && a.current?.className == b.current?.className && a.current?.status == b.current?.status
            && a.current?.source == b.current?.source
    }
}

/// Counts for `plankterm status`.
public struct ProjectSummary: Sendable, Equatable, Codable {
    public var images: Int
    public var failed: Int
    public var missing: Int
    public var classes: Int
    public var labeled: Int
    public var validated: Int
    public var predicted: Int
    public var dubious: Int
    /// Current labels of images that are missing or could not be decoded (not in the counts above).
    public var labelsOnUnusableImages: Int
    public var annotations: Int
    /// Per class: validated, predicted and dubious images, in class-name order.
    public var perClass: [ClassCount]
    public var failures: [FailedImage]
}

/// The images of one class by label status.
public struct ClassCount: Sendable, Equatable, Codable {
    public var name: String
    public var validated: Int
    /// Which images count as predicted is said where the counts are made: the labels of status
    /// `predicted` (`ProjectSummary.perClass`), or the current model's calls (`classCounts()`).
    public var predicted: Int
    public var dubious: Int

    public init(name: String, validated: Int, predicted: Int, dubious: Int) {
        self.name = name
        self.validated = validated
        self.predicted = predicted
        self.dubious = dubious
    }
}

/// An image that could not be decoded, and why.
public struct FailedImage: Sendable, Equatable, Codable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
