import Foundation

/// `provenance.json` beside every export: which tool, project, images folder and filters made it, and how
/// many labels of which status it holds.
struct ExportProvenance: Encodable, Equatable {
    var tool: String
    var exportedAt: String
    var project: String
    var projectId: String
    var imagesRoot: String
    var format: String
    var statuses: [String]
    /// Written as null when no threshold was given, so the file always says whether one was.
    var minConfidence: Double?
    var labels: Int
    var labelsByStatus: [String: Int]
    var classes: Int

    enum CodingKeys: String, CodingKey {
        case tool, exportedAt, project, projectId, imagesRoot, format, statuses, minConfidence, labels, labelsByStatus,
            classes
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tool, forKey: .tool)
        try c.encode(exportedAt, forKey: .exportedAt)
        try c.encode(project, forKey: .project)
        try c.encode(projectId, forKey: .projectId)
        try c.encode(imagesRoot, forKey: .imagesRoot)
        try c.encode(format, forKey: .format)
        try c.encode(statuses, forKey: .statuses)
        try c.encode(minConfidence, forKey: .minConfidence)
        try c.encode(labels, forKey: .labels)
        try c.encode(labelsByStatus, forKey: .labelsByStatus)
        try c.encode(classes, forKey: .classes)
    }

    /// Pretty-printed, keys sorted, paths with their slashes as they are (the file is for people too).
    func data() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
