import Foundation
import TUI

/// What the terminal said to the start-up queries.
public struct TerminalReplies: Sendable, Equatable {
    /// It answered the kitty graphics query (`a=q`) with OK.
    public var kitty = false
    /// Its primary device attributes include 4 (sixel).
    public var sixel = false
    /// It answered the primary device attributes at all (every VT100-like terminal does).
    public var deviceAttributes = false
    /// `CSI 16 t`: the cell size in pixels.
    public var cellPixels: CellPixels?
    /// `CSI 14 t`: the text area in pixels (width, height).
    public var windowPixels: (width: Int, height: Int)?

    public init() {}

    public static func == (a: TerminalReplies, b: TerminalReplies) -> Bool {
        a.kitty == b.kitty && a.sixel == b.sixel && a.deviceAttributes == b.deviceAttributes
            && a.cellPixels == b.cellPixels
            && a.windowPixels?.width == b.windowPixels?.width && a.windowPixels?.height == b.windowPixels?.height
    }

    /// The replies found in `bytes` (anything else in them is ignored).
    public static func parse(_ bytes: [UInt8]) -> TerminalReplies {
        var replies = TerminalReplies()
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0x1B, i + 1 < bytes.count else { i += 1; continue }
            if bytes[i + 1] == UInt8(ascii: "_") {
                // APC … ST: the kitty reply "ESC _ G i=31;OK ESC \".
                var end = i + 2
                while end + 1 < bytes.count, !(bytes[end] == 0x1B && bytes[end + 1] == UInt8(ascii: "\\")) { end += 1 }
                let body = String(decoding: bytes[(i + 2)..<min(end, bytes.count)], as: UTF8.self)
                if body.hasPrefix("G"), body.contains("i=\(GraphicsProbe.queryID)"), body.hasSuffix(";OK") {
                    replies.kitty = true
                }
                i = end + 2
                continue
            }
            guard bytes[i + 1] == UInt8(ascii: "[") else { i += 1; continue }
            // CSI: parameters and a final byte.
            var end = i + 2
            while end < bytes.count, (0x30...0x3F).contains(bytes[end]) { end += 1 }
            guard end < bytes.count else { break }
            let parameters = String(decoding: bytes[(i + 2)..<end], as: UTF8.self)
            let final = bytes[end]
            if final == UInt8(ascii: "c"), parameters.hasPrefix("?") {
                replies.deviceAttributes = true
                if parameters.dropFirst().split(separator: ";").contains("4") { replies.sixel = true }
            } else if final == UInt8(ascii: "t") {
                let numbers = parameters.split(separator: ";").compactMap { Int($0) }
                if numbers.count == 3, numbers[1] > 0, numbers[2] > 0 {
                    if numbers[0] == 6 { replies.cellPixels = CellPixels(width: numbers[2], height: numbers[1]) }
                    if numbers[0] == 4 { replies.windowPixels = (numbers[2], numbers[1]) }
                }
            }
            i = end + 1
        }
        return replies
    }
}

/// The mode chosen and why, for the `?` help.
public struct GraphicsChoice: Sendable, Equatable {
    public var mode: GraphicsMode
    /// The cell size the pictures are laid out with (nil for blocks).
    public var cellPixels: CellPixels?
    /// Inside tmux with `allow-passthrough` on: graphics are wrapped for the outer terminal, at the
    /// pane's offset.
    public var tmuxPane: TmuxPane?
    /// One line: the mode and how it was chosen.
    public var summary: String

    public init(mode: GraphicsMode, cellPixels: CellPixels?, tmuxPane: TmuxPane?, summary: String) {
        self.mode = mode
        self.cellPixels = cellPixels
        self.tmuxPane = tmuxPane
        self.summary = summary
    }
}

/// The tmux pane the screen runs in, for passthrough (`ESC P tmux; … ESC \`).
public struct TmuxPane: Sendable, Equatable {
    /// Where the pane starts on the outer terminal, in cells.
    public var left: Int, top: Int
    public init(left: Int, top: Int) {
        self.left = left
        self.top = top
    }
}

/// Asks the terminal what it can draw (issue 13): the kitty graphics query, the primary device
/// attributes (sixel is attribute 4) and the cell size (`CSI 16 t`, `CSI 14 t`), on the tty before curses
/// starts. The device attributes come last: every terminal answers them, so their reply ends the wait;
/// a terminal that answers nothing costs `timeout` seconds.
public enum GraphicsProbe {
    static let queryID = 31

    /// The queries, wrapped for tmux's passthrough when `tmux`.
    public static func queries(tmux: Bool) -> [UInt8] {
        let kitty = "\u{1B}_Gi=\(queryID),s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"
        let sizes = "\u{1B}[16t\u{1B}[14t"
        let attributes = "\u{1B}[c"
        guard tmux else { return Array((kitty + sizes + attributes).utf8) }
        // The outer terminal's answers to what tmux passes through, then tmux's own attributes (which end the wait).
        return Array((passthrough(kitty + sizes + attributes) + attributes).utf8)
    }

    /// `text` passed through tmux to the outer terminal (every ESC doubled).
    public static func passthrough(_ text: String) -> String {
        "\u{1B}Ptmux;" + text.replacingOccurrences(of: "\u{1B}", with: "\u{1B}\u{1B}") + "\u{1B}\\"
    }

    public static func passthrough(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array("\u{1B}Ptmux;".utf8)
        out.reserveCapacity(bytes.count + bytes.count / 16 + 16)
        for b in bytes {
            if b == 0x1B { out.append(0x1B) }
            out.append(b)
        }
        out += [0x1B, UInt8(ascii: "\\")]
        return out
    }

    /// Writes the queries to `output` and collects what comes back on `input` (a tty, put in raw mode
    /// for the wait) until the device attributes arrive (twice inside tmux: the outer terminal's and
    /// tmux's) or `timeout` seconds pass.
    public static func ask(input: Int32, output: Int32, timeout: Double, tmux: Bool) -> TerminalReplies {
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else { return TerminalReplies() }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(input, TCSANOW, &raw)
        defer { tcsetattr(input, TCSANOW, &saved) }
        let query = queries(tmux: tmux)
        _ = query.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, (left * 1000).rounded(.up))))
            guard ready > 0 else { if ready < 0 && errno == EINTR { continue } else { break } }
            let n = read(input, &buffer, buffer.count)
            guard n > 0 else { break }
            received += buffer[0..<n]
            if attributeReplies(received) >= (tmux ? 2 : 1) { break }
        }
        return TerminalReplies.parse(received)
    }

    /// How many device-attribute replies (`ESC [ ? … c`) `bytes` holds.
    static func attributeReplies(_ bytes: [UInt8]) -> Int {
        var count = 0, i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "["), bytes[i + 2] == UInt8(ascii: "?") {
                var end = i + 3
                while end < bytes.count, (0x30...0x3F).contains(bytes[end]) { end += 1 }
                if end < bytes.count, bytes[end] == UInt8(ascii: "c") { count += 1 }
                i = end
            } else {
                i += 1
            }
        }
        return count
    }

    /// The text area's size from TIOCGWINSZ: cells and, where the terminal fills them in, pixels.
    public static func windowSize(_ fd: Int32) -> (columns: Int, rows: Int, width: Int, height: Int)? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 else { return nil }
        return (Int(size.ws_col), Int(size.ws_row), Int(size.ws_xpixel), Int(size.ws_ypixel))
    }

    /// The mode to use: `requested` unless it is `auto`; else what the replies show (kitty, then iTerm2
    /// where the environment names it, then sixel), blocks when nothing does — and blocks inside tmux
    /// without passthrough. The cell size: `CSI 16 t`, else `CSI 14 t` over the cells, else TIOCGWINSZ,
    /// else 10 × 20 (said so in the summary).
    public static func choose(
        requested: GraphicsMode, replies: TerminalReplies, environment: [String: String],
        window: (columns: Int, rows: Int, width: Int, height: Int)?,
        tmuxPassthrough: Bool?, tmuxPane: TmuxPane? = nil
    ) -> GraphicsChoice {
        let inTmux = tmuxPassthrough != nil
        var mode = requested
        var how = "as asked"
        if requested == .auto {
            let program = (environment["TERM_PROGRAM"] ?? "") + " " + (environment["LC_TERMINAL"] ?? "")
            if inTmux && tmuxPassthrough == false {
                mode = .blocks
                how = "inside tmux with allow-passthrough off"
            } else if replies.kitty {
                mode = .kitty
                how = "the terminal answered the kitty graphics query"
            } else if program.contains("iTerm") {
                mode = .iterm
                how = "TERM_PROGRAM/LC_TERMINAL names iTerm2"
            } else if replies.sixel {
                mode = .sixel
                how = "the terminal's device attributes include sixel (4)"
            } else {
                mode = .blocks
                how =
                    replies.deviceAttributes
                    ? "the terminal offers no graphics protocol" : "the terminal answered no query"
            }
        }
        guard mode != .blocks else {
            return GraphicsChoice(
                mode: .blocks, cellPixels: nil, tmuxPane: nil, summary: "images: half blocks (\(how))")
        }
        var cell = replies.cellPixels
        var source = "CSI 16 t"
        if cell == nil, let w = replies.windowPixels, let window, window.columns > 0, window.rows > 0 {
            cell = CellPixels(width: w.width / window.columns, height: w.height / window.rows)
            source = "CSI 14 t"
        }
        if cell == nil, let window, window.width > 0, window.height > 0, window.columns > 0, window.rows > 0 {
            cell = CellPixels(width: window.width / window.columns, height: window.height / window.rows)
            source = "TIOCGWINSZ"
        }
        if cell == nil {
            cell = CellPixels(width: 10, height: 20)
            source = "not reported; 10×20 assumed"
        }
        let name =
            ["kitty": "kitty graphics", "sixel": "sixel", "iterm": "iTerm2 inline images"][mode.rawValue]
            ?? mode.rawValue
        return GraphicsChoice(
            mode: mode, cellPixels: cell, tmuxPane: inTmux ? (tmuxPane ?? TmuxPane(left: 0, top: 0)) : nil,
            summary: "images: \(name) (\(how)) · cell \(cell!.width)×\(cell!.height) px (\(source))"
                + (inTmux ? " · tmux passthrough" : ""))
    }

    /// Inside tmux (`TMUX` set): whether `allow-passthrough` is on for this pane, and where the pane is;
    /// nil outside tmux.
    public static func tmuxState(environment: [String: String]) -> (passthrough: Bool, pane: TmuxPane)? {
        guard let tmux = environment["TMUX"], !tmux.isEmpty else { return nil }
        let target = environment["TMUX_PANE"].map { ["-t", $0] } ?? []
        let out =
            run(["tmux", "display-message", "-p"] + target + ["#{allow-passthrough} #{pane_left} #{pane_top}"]) ?? ""
        let words = out.split(separator: " ").map(String.init)
        var passthrough = words.first.map { $0 == "on" || $0 == "all" || $0 == "1" } ?? false
        if words.first?.isEmpty ?? true || words.first?.hasPrefix("#") == true {
            // An older tmux without the format: ask for the option itself.
            let option = run(["tmux", "show-options", "-pv"] + target + ["allow-passthrough"]) ?? ""
            passthrough = option.hasPrefix("on") || option.hasPrefix("all")
        }
        let left = words.count > 1 ? Int(words[1]) ?? 0 : 0, top = words.count > 2 ? Int(words[2]) ?? 0 : 0
        return (passthrough, TmuxPane(left: left, top: top))
    }

    /// The standard output of a short command, or nil.
    static func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
