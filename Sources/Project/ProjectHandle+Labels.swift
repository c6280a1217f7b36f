import Foundation
import PlanktermCore
import Store

extension ProjectHandle {
    /// Gives the image at `path` (relative to the images folder) the label `className`, or withdraws its
    /// label when `className` is nil, in one transaction; returns the annotation's id. An unknown path is
    /// refused with `StoreError.unknownImage`.
    @discardableResult
    public func label(
        image path: String, className: String?, status: LabelStatus, annotator: String,
        source: String, time: Date = Date()
    ) throws -> Int64 {
        guard let id = try store.imageID(path: path) else { throw StoreError.unknownImage(path) }
        let draft = AnnotationDraft(
            imageID: id, className: className, status: status, annotator: annotator,
            time: time, source: source)
        return try store.append([draft])[0]
    }

    /// The image id of `path` (relative to the images folder), if the project has that image.
    public func imageID(path: String) throws -> ImageID? { try store.imageID(path: path) }

    /// Each image's current label, as "class (status)".
    public func currentLabelTexts() throws -> [ImageID: String] {
        Dictionary(
            try store.currentLabels().map { ($0.imageID, "\($0.className) (\($0.status.rawValue))") },
            uniquingKeysWith: { first, _ in first })
    }

    /// Gives `perFolder` images of every top-level folder of the images folder (chosen with `seed`) the
    /// validated label of that folder's name, in one transaction; returns how many labels were given.
    /// Gives none unless there are two folders or more (one class cannot train a model).
    public func seedLabelsFromFolders(
        perFolder: Int, seed: UInt64, annotator: String, source: String,
        time: Date = Date()
    ) throws -> Int {
        var byFolder: [String: [ImageID]] = [:]
        for image in try store.usableImages() {
            let parts = image.path.split(separator: "/")
            if parts.count == 2 { byFolder[String(parts[0]), default: []].append(image.id) }
        }
        guard byFolder.count >= 2 else { return 0 }
        var rng = SeededGenerator(seed: seed)
        var drafts: [AnnotationDraft] = []
        for (folder, ids) in byFolder.sorted(by: { $0.key < $1.key }) {
            var shuffled = ids.sorted { $0.rawValue < $1.rawValue }
            shuffled.shuffle(using: &rng)
            for id in shuffled.prefix(perFolder) {
                drafts.append(
                    AnnotationDraft(
                        imageID: id, className: folder, status: .validated, annotator: annotator,
                        time: time, source: source))
            }
        }
        try store.append(drafts)
        return drafts.count
    }
}
