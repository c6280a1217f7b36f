import CNcursesw
import Labeling

/// One unit of input as curses hands it over: a function-key code (arrows, resize, the paste markers)
/// or a character.
public enum InputEvent: Sendable, Equatable {
    case keyCode(Int32)
    case character(UInt32)

    /// The number curses gave, whichever kind it is.
    public var value: UInt32 {
        switch self {
        case .keyCode(let code): UInt32(bitPattern: code)
        case .character(let value): value
        }
    }
}

/// Where the decoder reads the rest of a key from (curses; a script in tests).
public protocol KeyInput {
    /// The next input, waiting at most `timeout` milliseconds (0: only what is already there); nil: none.
    mutating func next(timeout: Int32) -> InputEvent?
    /// Puts an input back, to be read next.
    mutating func unread(_ event: InputEvent)
}

/// The function-key codes the decoder knows.
public struct KeyCodes: Sendable, Equatable {
    public var up, down, left, right, backspace, enter, resize: Int32
    /// The codes the bracketed-paste markers (ESC[200~, ESC[201~) are defined as.
    public var pasteStart, pasteEnd: Int32

    /// The codes curses reports (the paste markers as this program defines them).
    public static var curses: KeyCodes {
        KeyCodes(
            up: KEY_UP, down: KEY_DOWN, left: KEY_LEFT, right: KEY_RIGHT, backspace: KEY_BACKSPACE,
            enter: KEY_ENTER, resize: KEY_RESIZE, pasteStart: pt_key_paste_start(), pasteEnd: pt_key_paste_end())
    }
}

/// Turns input into keys, without a terminal: characters, function-key codes, a lone Escape, escape
/// sequences curses did not know (swallowed whole), and a bracketed paste (its text, never keys).
public struct KeyDecoder: Sendable {
    public var codes: KeyCodes

    public init(codes: KeyCodes) { self.codes = codes }

    /// The key that `first` begins, reading the rest of it (a paste, an escape sequence) from `input`;
    /// nil for input that is no key.
    public func decode(_ first: InputEvent, rest input: inout some KeyInput) -> Key? {
        switch first {
        case .keyCode(let code):
            if code == codes.pasteStart { return .paste(readPaste(&input)) }
            return functionKey(code)
        case .character(let value):
            switch value {
            case 10, 13: return .enter
            case 27:
                // A person's Escape comes alone (curses waited ESCDELAY for more). An ESC with more input
                // right behind it is part of a burst: a paste without bracketing, or a sequence curses does
                // not know. It must not cancel the picker and let the rest run as keys: drop the ESC only.
                guard let next = input.next(timeout: 0) else { return .escape }
                // A terminal's reply that came after the start-up wait (a slow link), or a sequence curses
                // does not know: swallowed whole, so none of it becomes keys.
                swallowSequence(next, &input)
                return nil
            case 9: return .tab
            case 8, 127: return .backspace
            case 1...26: return .control(Character(Unicode.Scalar(UInt8(value) + 96)))
            default:
                guard let scalar = Unicode.Scalar(value) else { return nil }
                return .character(Character(scalar))
            }
        }
    }

    /// A function key's code as a key (nil: one the screen has no use for, the paste's end marker too).
    func functionKey(_ code: Int32) -> Key? {
        switch code {
        case codes.up: .up
        case codes.down: .down
        case codes.left: .left
        case codes.right: .right
        case codes.backspace: .backspace
        case codes.enter: .enter
        case codes.resize: .resize
        default: nil
        }
    }

    /// The text of a bracketed paste, up to its end marker (or a quiet second: a paste whose end was lost).
    func readPaste(_ input: inout some KeyInput) -> String {
        var scalars = String.UnicodeScalarView()
        while scalars.count < 100_000 {
            guard let event = input.next(timeout: 1000) else { break }
            switch event {
            case .keyCode(let code): if code == codes.pasteEnd { return String(scalars) }
            case .character(let value): if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
        }
        return String(scalars)
    }

    /// Reads the rest of an escape sequence whose ESC was read and `first` came right behind: CSI (`[` …
    /// final byte), or a string (APC `_`, OSC `]`, DCS `P` … ST or BEL). Anything else is put back, to be
    /// read as keys.
    func swallowSequence(_ first: InputEvent, _ input: inout some KeyInput) {
        switch first.value {
        case 0x5B:  // CSI: parameters and intermediates (0x20–0x3F), then a final byte
            for _ in 0..<64 {
                guard let event = input.next(timeout: 0) else { return }
                if !(0x20...0x3F).contains(event.value) { return }
            }
        case 0x5F, 0x5D, 0x50:  // APC, OSC, DCS: up to ESC \ or BEL
            var escape = false
            for _ in 0..<4096 {
                guard let event = input.next(timeout: 0) else { return }
                if event.value == 7 || (escape && event.value == 0x5C) { return }
                escape = event.value == 27
            }
        default:
            // As curses' unget_wch puts it back: as a character.
            input.unread(.character(first.value))
        }
    }
}

/// The keyboard as curses reads it, for the decoder.
struct CursesInput: KeyInput {
    mutating func next(timeout: Int32) -> InputEvent? {
        wtimeout(pt_stdscr(), timeout)
        var value: wint_t = 0
        let result = wget_wch(pt_stdscr(), &value)
        if result == ERR { return nil }
        return result == pt_key_code_yes() ? .keyCode(Int32(value)) : .character(UInt32(value))
    }

    mutating func unread(_ event: InputEvent) {
        switch event {
        case .keyCode(let code): ungetch(code)
        case .character(let value): unget_wch(wchar_t(value))
        }
    }
}
