import Foundation
import Labeling
import PlanktermCore

/// The Grid (thumbnails to validate or correct in bulk), Classes (counts, precision and recall per
/// class) and Jobs (the background queue with progress) screens, drawn in the body between the header
/// and the status line.
extension LabelScreen {
    /// The Grid's tiles for a screen size: columns, rows, the width of a tile and the rows of its thumbnail.
    public static func gridLayout(width: Int, height: Int) -> (columns: Int, rows: Int, tileWidth: Int, thumbRows: Int)
    {
        let bodyHeight = height - 5  // header, title line, status line, two footer lines
        let tileWidth = width >= 100 ? 16 : (width >= 60 ? 13 : 10)
        let thumbRows = bodyHeight >= 18 ? 5 : (bodyHeight >= 10 ? 3 : 2)
        let columns = max(1, width / tileWidth), rows = max(1, bodyHeight / (thumbRows + 1))
        return (columns, rows, tileWidth, thumbRows)
    }

    func gridBody(_ screen: inout ScreenBuffer, _ state: LabelingState, y: Int, height: Int) {
        let g = state.grid
        let layout = Self.gridLayout(width: screen.width, height: screen.height)
        let title =
            g.items.isEmpty
            ? "\(g.source.title): no images"
            : "\(g.source.title) · \(g.visible.lowerBound + 1)–\(g.visible.upperBound) of \(g.items.count)"
                + (g.selected.isEmpty ? "" : " · \(g.selected.count) selected")
        screen.write(title, x: 0, y: y, maxWidth: screen.width, foreground: .role(.accent))
        guard !g.items.isEmpty else {
            let hint = state.modelId == nil ? "no model yet — press : train" : "f picks a class, F shows the queue"
            screen.write(hint, x: 2, y: y + 2, foreground: .role(.dim))
            return
        }
        let sized = g.visible.map {
            g.tiles[g.items[$0]].flatMap { t in t.thumbnail.map { SizedImage(thumbnail: $0, fullWidth: t.fullWidth) } }
        }
        let common =
            state.sizeTrue
            ? commonScale(sized.compactMap { $0 }, columns: layout.tileWidth - 1, rows: layout.thumbRows) : nil
        if let common {
            let bar = scaleBar(scale: common)
            screen.write(bar, x: max(0, screen.width - bar.count), y: y, maxWidth: bar.count, foreground: .role(.dim))
        }
        for (slot, index) in g.visible.enumerated() {
            let tx = (slot % layout.columns) * layout.tileWidth
            let ty = y + 1 + (slot / layout.columns) * (layout.thumbRows + 1)
            guard ty + layout.thumbRows < y + height else { break }
            let id = g.items[index]
            let tile = g.tiles[id]
            if let t = sized[slot] {
                picture(
                    &screen, t.thumbnail, id: "tile \(id.rawValue)", x: tx, y: ty, columns: layout.tileWidth - 1,
                    rows: layout.thumbRows, scale: common.map { $0 / t.shrink })
            }
            let selected = g.selected.contains(index), atCursor = index == g.cursor
            // Caption: a mark (▶ cursor, * selected), the class (✓ when an expert gave it), the probability.
            let mark = atCursor ? "▶" : (selected ? "*" : " ")
            var caption = mark
            if let tile {
                if let label = tile.label {
                    caption += (tile.status == .dubious ? "?" : "✓") + label
                } else if let p = tile.predicted {
                    caption += p
                }
                if tile.label == nil, let probability = tile.probability {
                    let percent = " \(Int((probability * 100).rounded()))"
                    let room = layout.tileWidth - 1 - percent.count
                    caption =
                        String(caption.prefix(max(1, room))).padding(
                            toLength: max(1, room), withPad: " ", startingAt: 0) + percent
                }
            }
            let foreground: ColorRole = tile?.status.map(role) ?? (tile?.probability.map(confidenceRole) ?? .dim)
            screen.write(
                caption, x: tx, y: ty + layout.thumbRows, maxWidth: layout.tileWidth - 1,
                foreground: .role(selected ? .text : foreground),
                background: .role(selected ? .selection : .background),
                attributes: atCursor ? [.bold, .reverse] : (selected ? .bold : []))
        }
    }

    func classesBody(_ screen: inout ScreenBuffer, _ state: LabelingState, y: Int, height: Int) {
        let c = state.classes
        // Columns after the name, dropped from the right while the name would get under 14 columns.
        var columns: [(title: String, width: Int, value: (ClassRowView) -> String)] = [
            ("validated", 9, { "\($0.validated)" }), ("dubious", 7, { "\($0.dubious)" }),
            ("predicted", 9, { "\($0.predicted)" }),
            ("precision", 9, { $0.precision.map { String(format: "%.2f", $0) } ?? "–" }),
            ("recall", 6, { $0.recall.map { String(format: "%.2f", $0) } ?? "–" })
        ]
        func used() -> Int { columns.reduce(0) { $0 + $1.width + 2 } }
        for title in ["recall", "precision", "dubious", "predicted"] where screen.width - used() < 14 {
            columns.removeAll { $0.title == title }
        }
        let nameWidth = min(34, screen.width - used())
        func line(_ name: String, _ cells: [String]) -> String {
            let shown =
                name.count > nameWidth
                ? String(name.prefix(nameWidth - 1)) + "…"
                : name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            return shown
                + zip(columns, cells).map { column, text in
                    "  " + String(repeating: " ", count: max(0, column.width - text.count)) + text
                }.joined()
        }
        screen.write(
            line("class", columns.map(\.title)), x: 0, y: y, maxWidth: screen.width, foreground: .role(.dim),
            attributes: .underline)
        guard !c.rows.isEmpty else {
            screen.write("no classes yet — label an image (t) or add one (+)", x: 2, y: y + 2, foreground: .role(.dim))
            return
        }
        let visibleRows = max(1, height - 1)
        let top = max(0, min(c.cursor - visibleRows / 2, c.rows.count - visibleRows))
        for (n, index) in (top..<min(c.rows.count, top + visibleRows)).enumerated() {
            let row = c.rows[index]
            let atCursor = index == c.cursor
            screen.write(
                line(Sanitizer.sanitize(row.name), columns.map { $0.value(row) }), x: 0, y: y + 1 + n,
                maxWidth: screen.width,
                foreground: .role(row.validated == 0 && row.predicted == 0 ? .dim : .text),
                background: .role(atCursor ? .selection : .background), attributes: atCursor ? .bold : [])
        }
    }

    func jobsBody(_ screen: inout ScreenBuffer, _ state: LabelingState, y: Int, height: Int) {
        let jobs = state.jobs.jobs
        screen.write(
            "   # kind       state       progress  message", x: 0, y: y, maxWidth: screen.width,
            foreground: .role(.dim), attributes: .underline)
        guard !jobs.isEmpty else {
            screen.write(
                "no jobs yet — : train queues one; `plankterm worker` runs them between sessions",
                x: 2, y: y + 2, maxWidth: screen.width - 2, foreground: .role(.dim))
            return
        }
        let visibleRows = max(1, height - 1)
        let top = max(0, min(state.jobs.cursor - visibleRows / 2, jobs.count - visibleRows))
        for (line, index) in (top..<min(jobs.count, top + visibleRows)).enumerated() {
            let job = jobs[index]
            let atCursor = index == state.jobs.cursor
            let bar = progressBar(job.progress, width: 8)
            let text =
                String(format: "%4lld ", job.id) + job.kind.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                + job.state.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + bar + "  "
                + (job.error ?? job.message)
            let role: ColorRole =
                switch job.state {
                case "failed": .warning
                case "running": .accent
                case "done": .validated
                default: .text
                }
            screen.write(
                text, x: 0, y: y + 1 + line, maxWidth: screen.width, foreground: .role(role),
                background: .role(atCursor ? .selection : .background), attributes: atCursor ? .bold : [])
        }
    }

    func progressBar(_ fraction: Double, width: Int) -> String {
        let filled = Int((max(0, min(1, fraction)) * Double(width)).rounded())
        return String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    }
}
