import Foundation
import PlanktermCore
import Store

/// The abundance estimate as `plankterm abundance` and `abundance` jobs make it: the current model's
/// predictions grouped as the parameters say, each group's class counts estimated (`AbundanceReport`).
/// A job writes the report to `reports/`; the command prints it.
public enum AbundanceWorkflow {
    /// Simulated samples for the intervals, and their seed, unless told otherwise.
    public static let defaultBootstrap = 100
    public static let defaultSeed: UInt64 = 0

    public static func run(
        project: ProjectHandle, parameters: AbundanceJobParameters, bootstrap: Int = defaultBootstrap,
        seed: UInt64 = defaultSeed
    ) throws -> AbundanceReport {
        try AbundanceReport.build(project: project, by: parameters.by, bootstrap: bootstrap, seed: seed)
    }

    /// Writes `report` as JSON to `reports/abundance-<model>-by-<group>.json` in the project; returns its path.
    public static func write(_ report: AbundanceReport, project: ProjectHandle) throws -> String {
        let layout = project.layout
        try FileManager.default.createDirectory(atPath: layout.reportsFolder, withIntermediateDirectories: true)
        let path = layout.abundanceReport(model: report.modelId, by: report.groupedBy)
        try Data(try ClassifierRun.json(report).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
