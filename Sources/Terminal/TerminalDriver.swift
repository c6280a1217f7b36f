import CNcursesw
import Foundation
import Labeling
import TUI

/// Errors of the terminal driver.
public enum TerminalError: Error, CustomStringConvertible, Sendable {
    case notATerminal
    case cannotStart(String)

    public var description: String {
        switch self {
        case .notATerminal: "standard input and output must be a terminal for the labeling screen"
        case .cannotStart(let why): "cannot start the terminal screen: \(why)"
        }
    }
}

/// Standard output, as the commands print to it.
public enum StandardOutput {
    /// Makes standard output line-buffered, also when it is a file or a pipe: each line of a long-running
    /// command (`worker --follow > worker.log`) is in the log as soon as it is printed.
    public static func flushEachLine() { pt_line_buffer_stdout() }
}

/// The only code that calls ncursesw: takes over the screen, writes `ScreenBuffer`s (only the cells
/// that changed), reads keys, and gives the terminal back with `endwin` on every way out.
/// Use from one thread.
public final class TerminalDriver {
    public private(set) var depth: ColorDepth
    public let unicode: Bool
    private let theme: Theme
    private var previous: ScreenBuffer?
    private var pairs: [PairKey: Int32] = [:]
    private var ended = false
    /// How images are drawn, and why (for the `?` help).
    public let graphics: GraphicsChoice
    private let layer: GraphicsLayer?
    /// Graphics bytes written so far (kitty, sixel, iTerm2), for tests and benchmarks.
    public private(set) var graphicsBytes = 0
    private let decoder = KeyDecoder(codes: .curses)

    struct PairKey: Hashable { var fg: Int32; var bg: Int32 }

    /// Starts curses. `depth` overrides the detected colour depth; `graphics` the image protocol (`auto`
    /// asks the terminal first, waiting at most `probeTimeout` seconds for its answers).
    public init(
        depth requested: ColorDepth?, theme: Theme, graphics: GraphicsMode = .blocks,
        probeTimeout: Double = 0.3
    ) throws {
        guard isatty(0) == 1, isatty(1) == 1 else { throw TerminalError.notATerminal }
        setlocale(LC_ALL, "")
        // Before curses takes the tty: ask what the terminal draws.
        var choice = GraphicsProbe.choose(
            requested: .blocks, replies: TerminalReplies(), environment: [:], window: nil,
            tmuxPassthrough: nil)
        if graphics != .blocks {
            let environment = ProcessInfo.processInfo.environment
            let tmux = GraphicsProbe.tmuxState(environment: environment)
            var replies = TerminalReplies()
            if tmux?.passthrough ?? true {
                replies = GraphicsProbe.ask(input: 0, output: 1, timeout: probeTimeout, tmux: tmux != nil)
            }
            choice = GraphicsProbe.choose(
                requested: graphics, replies: replies, environment: environment,
                window: GraphicsProbe.windowSize(1), tmuxPassthrough: tmux?.passthrough,
                tmuxPane: tmux?.pane)
        }
        self.graphics = choice
        layer =
            choice.mode == .blocks
            ? nil
            : GraphicsLayer(
                mode: choice.mode, cell: choice.cellPixels ?? CellPixels(width: 10, height: 20),
                tmuxPane: choice.tmuxPane)
        unicode = pt_is_utf8() == 1
        guard initscr() != nil else { throw TerminalError.cannotStart("initscr failed (is TERM set?)") }
        guard pt_can_address_cursor() == 1 else {
            endwin()
            let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
            throw TerminalError.cannotStart(
                "TERM=\(term) cannot move the cursor, so the screen would not show what "
                    + "the keys do; use a terminal such as TERM=xterm-256color")
        }
        self.theme = theme
        raw()
        noecho()
        nonl()
        keypad(pt_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        pt_install_stop_handlers()
        pt_install_resize_handler()
        pt_unblock_terminal_signals()
        pt_set_bracketed_paste(1)
        var detected = ColorDepth.mono
        if has_colors() {
            start_color()
            use_default_colors()
            let colors = Int(pt_colors())
            let env = ProcessInfo.processInfo.environment["COLORTERM"]?.lowercased() ?? ""
            if colors >= 0x1000000 || ((env == "truecolor" || env == "24bit") && colors >= 0x1000000) {
                detected = .trueColor
            } else if colors >= 256 {
                detected = .palette256
            } else if colors >= 8 {
                detected = .palette16
            }
        }
        // Truecolour needs a direct-colour terminfo entry (e.g. TERM=xterm-direct): ncurses maps colour
        // numbers to RGB only there. Asked for more than the terminal has, take what it has.
        if let requested, requested.rank >= detected.rank || requested == .trueColor && Int(pt_colors()) >= 0x1000000 {
            depth = requested.rank <= detected.rank ? requested : detected
        } else {
            depth = requested ?? detected
        }
        if depth == .trueColor && Int(pt_colors()) < 0x1000000 { depth = .palette256 }
        if depth == .palette256 && Int(pt_colors()) < 256 { depth = detected }
    }

    deinit { end() }

    /// Gives the terminal back (idempotent).
    public func end() {
        guard !ended else { return }
        ended = true
        if let layer { writeGraphics(layer.end()) }
        pt_set_bracketed_paste(0)
        endwin()
    }

    /// The screen size in cells.
    public var size: (width: Int, height: Int) { (Int(pt_cols()), Int(pt_lines())) }

    /// Whether SIGTERM or SIGHUP asked the program to end.
    public var stopRequested: Bool { pt_stop_was_requested() != 0 }

    /// Draws `screen`, writing only cells that differ from the last frame (all after `invalidate`).
    public func draw(_ screen: ScreenBuffer) {
        let full = previous == nil || previous!.width != screen.width || previous!.height != screen.height
        var graphicsOut: [UInt8] = []
        if full {
            wclear(pt_stdscr())
            if let layer { graphicsOut += layer.reset() }
        }
        for y in 0..<screen.height {
            for x in 0..<screen.width {
                let cell = screen[x, y]
                if !full, previous![x, y] == cell { continue }
                // The bottom-right cell would scroll some terminals: skip it.
                if y == screen.height - 1 && x == screen.width - 1 { continue }
                put(cell, x: x, y: y)
            }
        }
        previous = screen
        if let layer {
            let update = layer.update(screen.images)
            // Sixel and iTerm2 pictures are erased by repainting their rows whole.
            for rows in update.repaintRows { wredrawln(pt_stdscr(), Int32(rows.lowerBound), Int32(rows.count)) }
            graphicsOut += update.bytes
        }
        wnoutrefresh(pt_stdscr())
        doupdate()
        writeGraphics(graphicsOut)
    }

    /// Writes graphics bytes after curses' own output (flushed first, so they land in order).
    private func writeGraphics(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        pt_flush_stdout()
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue } else { break } }
            offset += n
        }
        graphicsBytes += bytes.count
    }

    /// Forgets the last frame: the next `draw` repaints everything (Ctrl-L, resize).
    public func invalidate() { previous = nil }

    /// Waits up to `timeout` milliseconds for a key (a resize first: the screen is drawn again for it).
    public func readKey(timeout: Int32) -> Key? {
        if pt_apply_resize() == 1 { return .resize }
        var input = CursesInput()
        let first = input.next(timeout: timeout)
        if pt_apply_resize() == 1 { return .resize }
        guard let first else { return nil }
        return decoder.decode(first, rest: &input)
    }

    /// What the screens' few non-ASCII glyphs become in a non-UTF-8 locale.
    static let asciiFallback: [Character: Character] = [
        "▀": "#", "█": "#", "…": ".", "—": "-", "–": "-", "·": ".", "▶": ">", "✓": "+", "▏": "|", "×": "x",
        "→": ">", "␛": "^", "␇": "^", "%": "%"
    ]

    private func put(_ cell: Cell, x: Int, y: Int) {
        var character = cell.character
        if !unicode, !character.isASCII { character = Self.asciiFallback[character] ?? "?" }
        let scalar = character.unicodeScalars.first ?? " "
        var attributes: attr_t = 0
        if cell.attributes.contains(.bold) { attributes |= attr_t(NCURSES_BITS(1, 13)) }
        if cell.attributes.contains(.reverse) { attributes |= attr_t(NCURSES_BITS(1, 10)) }
        if cell.attributes.contains(.underline) { attributes |= attr_t(NCURSES_BITS(1, 9)) }
        var pair: Int32 = 0
        if depth == .mono {
            if cell.background == .role(.statusBar) || cell.background == .role(.selection) {
                attributes |= attr_t(NCURSES_BITS(1, 10))
            }
        } else {
            pair = self.pair(
                foreground: color(cell.foreground, background: false),
                background: color(cell.background, background: true))
        }
        _ = pt_put_cell(Int32(y), Int32(x), wchar_t(scalar.value), attributes, pair)
    }

    private func pair(foreground: Int32, background: Int32) -> Int32 {
        let key = PairKey(fg: foreground, bg: background)
        if let known = pairs[key] { return known }
        let number = alloc_pair(foreground, background)
        let result = number < 0 ? 0 : number
        pairs[key] = result
        return result
    }

    /// A curses colour number for this depth; -1 is the terminal's default.
    private func color(_ color: CellColor, background: Bool) -> Int32 {
        switch color {
        case .default:
            return -1
        case .indexed(let i):
            return depth == .palette16 ? Int32(i % 16) : Int32(i)
        case .rgb(let r, let g, let b):
            return rgbNumber(r, g, b)
        case .role(let role):
            guard let c = theme.colors[role] else { return -1 }
            if depth == .palette16 { return Int32(c.ansi16) }
            return rgbNumber(c.r, c.g, c.b)
        }
    }

    private func rgbNumber(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int32 {
        switch depth {
        case .trueColor: return Int32(r) << 16 | Int32(g) << 8 | Int32(b)
        case .palette256: return Int32(ColorQuantizer.nearest256(r, g, b))
        case .palette16: return ColorQuantizer.luma(r, g, b) > 128 ? 15 : 8
        case .mono: return -1
        }
    }
}

/// The labeling loop's terminal: frames are cell buffers.
extension TerminalDriver: LabelingTerminal {
    public var drawsPixels: Bool { graphics.mode != .blocks }
}

extension ColorDepth {
    var rank: Int {
        switch self {
        case .mono: 0
        case .palette16: 1
        case .palette256: 2
        case .trueColor: 3
        }
    }
}

@inline(__always) func NCURSES_BITS(_ mask: UInt32, _ shift: UInt32) -> UInt32 { mask << (shift + 8) }
