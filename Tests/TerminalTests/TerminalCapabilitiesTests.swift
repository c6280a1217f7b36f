import Terminal
import Testing

@Suite struct TerminalCapabilitiesTests {
    @Test("terminfo gives the colour count; COLORTERM turns on truecolour")
    func detect() {
        #expect(TerminalCapabilities.detect(term: "xterm-256color", environment: [:]).colors == 256)
        #expect(TerminalCapabilities.detect(term: "vt100", environment: [:]).colors == 0)
        #expect(!TerminalCapabilities.detect(term: "xterm-256color", environment: [:]).trueColor)
        #expect(TerminalCapabilities.detect(term: "xterm-256color", environment: ["COLORTERM": "truecolor"]).trueColor)
        #expect(TerminalCapabilities.detect(term: "no-such-terminal", environment: [:]).colors == 0)
    }
}
