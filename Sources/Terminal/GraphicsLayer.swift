import Foundation
import TUI

/// Keeps the pictures on screen in step with the frames (issue 13): what a frame adds is sent, what it
/// drops is removed, and what stays is not touched, so a key costs only the pictures it changes.
/// - kitty: each picture's pixels are sent once under an image id and placed by placement id; a dropped
///   placement is deleted (its pixels stay for a return visit: the last `keep` images are kept).
/// - sixel and iTerm2: pictures are part of the text layer, so a dropped or changed one is erased by
///   having curses repaint its rows (`repaintRows`), and every picture on those rows is drawn again.
/// Pure apart from the ids it hands out: the driver writes the bytes.
public final class GraphicsLayer {
    public let mode: GraphicsMode
    public let cell: CellPixels
    public let tmuxPane: TmuxPane?
    /// The images kitty keeps for us.
    public let keep: Int
    private(set) var shown: [(placement: ImagePlacement, image: UInt32, number: UInt32)] = []
    private var transmitted: [String: UInt32] = [:]
    private var order: [String] = []
    private var nextID: UInt32 = 1

    public init(mode: GraphicsMode, cell: CellPixels, tmuxPane: TmuxPane? = nil, keep: Int = 64) {
        self.mode = mode
        self.cell = cell
        self.tmuxPane = tmuxPane
        self.keep = keep
    }

    /// The frame's changes: the rows curses must repaint before it draws the frame (sixel, iTerm2), and
    /// the bytes to write after it has.
    public struct Update {
        public var repaintRows: [Range<Int>] = []
        public var bytes: [UInt8] = []
    }

    /// The screen was cleared (a full redraw): nothing drawn is left.
    public func reset() -> [UInt8] {
        shown = []
        return mode == .kitty ? wrap(KittyGraphics.deleteAllPlacements) : []
    }

    /// Removes every picture (leaving the screen); kitty frees their pixels too.
    public func end() -> [UInt8] {
        shown = []
        transmitted = [:]
        order = []
        return mode == .kitty ? wrap(KittyGraphics.deleteAll) : []
    }

    public func update(_ placements: [ImagePlacement]) -> Update {
        var update = Update()
        var staying: [(placement: ImagePlacement, image: UInt32, number: UInt32)] = []
        var dropped: [(placement: ImagePlacement, image: UInt32, number: UInt32)] = []
        for old in shown {
            if placements.contains(where: { $0.sameAs(old.placement) }) {
                staying.append(old)
            } else {
                dropped.append(old)
            }
        }
        if mode != .kitty {
            // Erase what is dropped by repainting its rows; what else lies on those rows is drawn again.
            update.repaintRows = dropped.map { $0.placement.y..<($0.placement.y + $0.placement.rows) }
            staying.removeAll { kept in
                update.repaintRows.contains { $0.overlaps(kept.placement.y..<(kept.placement.y + kept.placement.rows)) }
            }
        } else {
            for old in dropped {
                update.bytes += wrap(KittyGraphics.deletePlacement(id: old.image, placement: old.number))
            }
        }
        var next = staying
        for placement in placements where !staying.contains(where: { $0.placement.sameAs(placement) }) {
            let moveTo = cursorTo(x: placement.x, y: placement.y)
            switch mode {
            case .kitty:
                let key =
                    placement.id
                    + " \(placement.pixelWidth)x\(placement.pixelHeight)+\(placement.pixelX)+\(placement.pixelY)"
                    + " \(placement.columns)x\(placement.rows)"
                var image = transmitted[key]
                if image == nil {
                    let id = takeID()
                    update.bytes += wrap(KittyGraphics.transmit(id: id, PlacedPixels(placement, cell: cell)))
                    transmitted[key] = id
                    order.append(key)
                    image = id
                    while order.count > keep {
                        let old = order.removeFirst()
                        if let oldID = transmitted.removeValue(forKey: old) {
                            update.bytes += wrap(KittyGraphics.deleteImage(id: oldID))
                            next.removeAll { $0.image == oldID }
                        }
                    }
                } else if let i = order.firstIndex(of: key) {
                    order.append(order.remove(at: i))
                }
                let number = takeID()
                update.bytes += wrapPositioned(
                    moveTo,
                    KittyGraphics.place(
                        id: image!, placement: number,
                        columns: placement.columns, rows: placement.rows))
                next.append((placement, image!, number))
            case .sixel:
                let pixels = PlacedPixels(placement, cell: cell)
                update.bytes += wrapPositioned(
                    moveTo, SixelGraphics.image(pixels, columns: placement.columns, rows: placement.rows, cell: cell))
                next.append((placement, 0, 0))
            case .iterm:
                let pixels = PlacedPixels(placement, cell: cell)
                update.bytes += wrapPositioned(
                    moveTo, ITermGraphics.image(pixels, columns: placement.columns, rows: placement.rows))
                next.append((placement, 0, 0))
            case .auto, .blocks:
                break
            }
        }
        shown = next
        if !update.bytes.isEmpty {
            // The cursor and attributes as curses left them: saved before, restored after.
            update.bytes = Array("\u{1B}7".utf8) + update.bytes + Array("\u{1B}8".utf8)
        }
        return update
    }

    private func takeID() -> UInt32 {
        defer { nextID = nextID == UInt32(Int32.max) ? 1 : nextID + 1 }
        return nextID
    }

    /// `CSI row ; column H` (1-based) on the terminal that draws: tmux's outer one is offset by the pane.
    func cursorTo(x: Int, y: Int) -> [UInt8] {
        Array("\u{1B}[\(y + 1 + (tmuxPane?.top ?? 0));\(x + 1 + (tmuxPane?.left ?? 0))H".utf8)
    }

    /// A graphics sequence as the terminal must get it: through tmux's passthrough inside tmux.
    func wrap(_ bytes: [UInt8]) -> [UInt8] {
        tmuxPane == nil ? bytes : GraphicsProbe.passthrough(bytes)
    }

    /// The cursor move and the picture: inside tmux both go to the outer terminal (tmux would not move
    /// the outer cursor for us), each in its own passthrough.
    func wrapPositioned(_ move: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        tmuxPane == nil ? move + bytes : GraphicsProbe.passthrough(move + bytes)
    }
}
