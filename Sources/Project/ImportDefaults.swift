import Imaging
import Store

/// The import choices a project was made with, kept in its `meta` table, so that a plain
/// `plankterm import PROJECT` later makes the same choices (`--folder-labels off` stays off).
public enum ImportDefaults {
    static let folderLabelsKey = "import.folderLabels"
    static let maxPixelsKey = "import.maxPixels"

    /// The choices to use: what was given now, else what the project recorded, else the defaults.
    /// What was given is recorded (at `init`, every choice is), so it holds for later imports.
    public static func resolve(
        store: ProjectStore, folderLabels given: FolderLabels?, maxPixels givenPixels: Int?,
        recordAll: Bool = false
    ) throws -> (folderLabels: FolderLabels, maxPixels: Int) {
        let storedLabels = try store.meta(folderLabelsKey).flatMap(FolderLabels.init(rawValue:))
        let storedPixels = try store.meta(maxPixelsKey).flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        let folderLabels = given ?? storedLabels ?? .auto
        let maxPixels = givenPixels ?? storedPixels ?? ImageDecoder.defaultMaxPixels
        if given != nil || (recordAll && storedLabels == nil) {
            try store.setMeta(folderLabelsKey, folderLabels.rawValue)
        }
        if givenPixels != nil || (recordAll && storedPixels == nil) {
            try store.setMeta(maxPixelsKey, String(maxPixels))
        }
        return (folderLabels, maxPixels)
    }
}
