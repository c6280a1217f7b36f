import Foundation
import Project

/// Runs an import with a progress line on a terminal and prints what it did.
enum ImportReporting {
    static func run(project handle: ProjectHandle, options: ImportOptions) throws -> ImportReport {
        let showProgress = Console.stderrIsTTY
        var lastShown = Date.distantPast
        let report = try Importer(project: handle).run(options) { done, total in
            guard showProgress, Date().timeIntervalSince(lastShown) > 0.2 || done == total else { return }
            lastShown = Date()
            FileHandle.standardError.write(Data("\rimporting \(done)/\(total) images…".utf8))
        }
        if showProgress && report.added + report.changed + report.moved > 0 {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
        print(describe(report, root: options.imagesRoot))
        return report
    }

    static func describe(_ r: ImportReport, root: String) -> String {
        var lines: [String] = []
        lines.append(
            "scanned \(r.scanned) image files under \(Console.oneLine(root))"
                + (r.otherFiles > 0 ? " (\(r.otherFiles) other files ignored)" : ""))
        lines.append(
            "added \(r.added) · changed \(r.changed) · unchanged \(r.unchanged) · moved \(r.moved)"
                + " · vanished \(r.vanished.count) · reappeared \(r.reappeared) · failed \(r.failed.count)")
        for f in r.failed.prefix(20) {
            lines.append("  failed: \(Console.oneLine(f.path)): \(Console.oneLine(f.reason))")
        }
        if r.failed.count > 20 { lines.append("  … \(r.failed.count - 20) more (plankterm status lists them all)") }
        if !r.skipped.isEmpty { lines.append("skipped \(r.skipped.count) entries under the images folder:") }
        for f in r.skipped.prefix(20) {
            lines.append("  skipped: \(Console.oneLine(f.path)): \(Console.oneLine(f.reason))")
        }
        if r.skipped.count > 20 { lines.append("  … \(r.skipped.count - 20) more skipped") }
        for v in r.vanished.prefix(20) { lines.append("  vanished (labels kept): \(Console.oneLine(v))") }
        if r.vanished.count > 20 { lines.append("  … \(r.vanished.count - 20) more vanished") }
        if !r.labelSources.isEmpty {
            lines.append(
                "labels from \(r.labelSources.map(Console.oneLine).joined(separator: " and ")): "
                    + "\(r.labelsAdded) added, \(r.labelsUnchanged) unchanged, "
                    + "\(r.labelConflicts.count) kept as given in plankterm, \(r.unmatchedLabels.count) unmatched")
            for c in r.labelConflicts.prefix(10) {
                lines.append("  kept plankterm's label of \(Console.oneLine(c)) (--replace-labels to take the file's)")
            }
            for u in r.unmatchedLabels.prefix(10) { lines.append("  no image for label row: \(Console.oneLine(u))") }
            if r.unmatchedLabels.count > 10 { lines.append("  … \(r.unmatchedLabels.count - 10) more unmatched") }
            if !r.emptyLabelRows.isEmpty {
                let rows = r.emptyLabelRows.prefix(10).map(String.init).joined(separator: ", ")
                lines.append(
                    "  \(r.emptyLabelRows.count) rows give no class (rows \(rows)\(r.emptyLabelRows.count > 10 ? ", …" : "")): their images keep their labels"
                )
            }
            if !r.conflictingRows.isEmpty {
                lines.append("  \(r.conflictingRows.count) images have rows with different labels: none of them taken")
                for c in r.conflictingRows.prefix(10) { lines.append("  conflicting rows for \(Console.oneLine(c))") }
            }
        }
        lines.append(String(format: "import took %.2f s", r.seconds))
        return lines.joined(separator: "\n")
    }
}
