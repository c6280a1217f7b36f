import Labeling
import Terminal
import Testing

/// Input as a script: what is "already waiting" is the rest of the list.
struct ScriptedInput: KeyInput {
    var events: [InputEvent]
    /// The timeouts the decoder waited with, in order.
    var timeouts: [Int32] = []

    init(_ events: [InputEvent]) { self.events = events }

    /// Characters as curses hands them over.
    init(_ text: String) { self.init(text.unicodeScalars.map { .character($0.value) }) }

    mutating func next(timeout: Int32) -> InputEvent? {
        timeouts.append(timeout)
        return events.isEmpty ? nil : events.removeFirst()
    }

    mutating func unread(_ event: InputEvent) { events.insert(event, at: 0) }
}

/// Bytes and curses key codes → keys, without a terminal.
@Suite struct KeyDecoderTests {
    let decoder = KeyDecoder(codes: .curses)
    let codes = KeyCodes.curses

    /// Decodes every key in `input`, as the driver's reads would one after another.
    func keys(_ input: ScriptedInput) -> [Key?] {
        var input = input
        var keys: [Key?] = []
        while let first = input.next(timeout: 250) { keys.append(decoder.decode(first, rest: &input)) }
        return keys
    }

    @Test("characters, Enter, Tab, Backspace and control keys")
    func plainKeys() {
        #expect(keys(ScriptedInput("aé1 ")) == [.character("a"), .character("é"), .character("1"), .character(" ")])
        #expect(keys(ScriptedInput("\r\n\t\u{7F}\u{08}")) == [.enter, .enter, .tab, .backspace, .backspace])
        #expect(keys(ScriptedInput("\u{01}\u{0C}\u{12}")) == [.control("a"), .control("l"), .control("r")])
    }

    @Test("function-key codes: arrows, Backspace, Enter and a resize; unknown codes are no key")
    func functionKeys() {
        let input = ScriptedInput(
            [codes.up, codes.down, codes.left, codes.right, codes.backspace, codes.enter, codes.resize, codes.up + 999]
                .map { .keyCode($0) })
        #expect(keys(input) == [.up, .down, .left, .right, .backspace, .enter, .resize, nil])
    }

    @Test("a lone ESC is Escape; an ESC with more input behind it is dropped and the rest stays keys")
    func escape() {
        #expect(keys(ScriptedInput("\u{1B}")) == [.escape])
        // An unbracketed paste burst: "dia", ESC, "x" — the ESC does not cancel, "x" is still typed.
        #expect(
            keys(ScriptedInput("dia\u{1B}x")) == [
                .character("d"), .character("i"), .character("a"), nil, .character("x")
            ])
        var input = ScriptedInput("\u{1B}x")
        let first = input.next(timeout: 250)!
        _ = decoder.decode(first, rest: &input)
        #expect(input.timeouts == [250, 0], "whether more is waiting is asked without waiting")
    }

    @Test("escape sequences curses does not know are swallowed whole: CSI, OSC to BEL, APC and DCS to ST")
    func sequencesSwallowed() {
        #expect(keys(ScriptedInput("\u{1B}[12;34Rq")) == [nil, .character("q")])
        #expect(keys(ScriptedInput("\u{1B}]11;rgb:0000/0000/0000\u{07}q")) == [nil, .character("q")])
        #expect(keys(ScriptedInput("\u{1B}_Gi=31;OK\u{1B}\\q")) == [nil, .character("q")])
        #expect(keys(ScriptedInput("\u{1B}P1$r0m\u{1B}\\q")) == [nil, .character("q")])
    }

    @Test("a bracketed paste is one text key, ESC and all, up to its end marker or a quiet second")
    func bracketedPaste() {
        let pasted: [InputEvent] =
            [.keyCode(codes.pasteStart)] + "cope\u{1B}pod".unicodeScalars.map { .character($0.value) }
            + [.keyCode(codes.pasteEnd), .character(UInt32(("q" as Unicode.Scalar).value))]
        #expect(keys(ScriptedInput(pasted)) == [.paste("cope\u{1B}pod"), .character("q")])
        // The end marker was lost: the paste ends when nothing comes for a second.
        var input = ScriptedInput([.keyCode(codes.pasteStart), .character(0x61), .keyCode(codes.up)])
        let first = input.next(timeout: 250)!
        #expect(decoder.decode(first, rest: &input) == .paste("a"), "a key code inside a paste is dropped")
        #expect(input.timeouts.last == 1000)
        // An end marker alone is no key.
        #expect(keys(ScriptedInput([.keyCode(codes.pasteEnd)])) == [nil])
    }
}
