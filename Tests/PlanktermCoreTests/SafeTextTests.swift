import PlanktermCore
import Testing

@Suite struct SafeTextTests {
    @Test("a hostile file name prints as one inert line: controls and bidi overrides shown, not obeyed")
    func hostileFileName() {
        let name = "cope\u{1B}[2Jpod\u{1B}]0;x\u{07}\r\n\t\u{7F}\u{9B}31m\u{202E}gnp.exe\u{2066}"
        let shown = SafeText.visible(name)
        #expect(shown == "cope␛[2Jpod␛]0;x␇␍␊␉��31m�gnp.exe�")
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(!shown.contains("\n"))
    }

    @Test("ordinary names, wide characters and combining marks are kept as they are")
    func ordinaryTextUnchanged() {
        for text in ["Calanus finmarchicus – 3 µm", "珪藻🦐", "a\u{0301}", "", "a/b c.png"] {
            #expect(SafeText.visible(text) == text)
        }
    }
}
