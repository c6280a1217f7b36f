import PlanktermCore
import Testing

@Suite struct SeededGeneratorTests {
    @Test("the same seed gives the same stream, another seed another")
    func determinism() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let x = (0..<8).map { _ in a.next() }
        #expect(x == (0..<8).map { _ in b.next() })
        #expect(x != (0..<8).map { _ in c.next() })
    }

    @Test("saving and restoring the state resumes the exact stream")
    func resume() {
        var a = SeededGenerator(seed: 7)
        for _ in 0..<5 { _ = a.next() }
        var b = SeededGenerator(state: a.state)!
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        #expect(SeededGenerator(state: [0, 0, 0, 0]) == nil)
    }

    @Test("label statuses parse the spellings label files use")
    func statuses() {
        #expect(LabelStatus(lenient: "V") == .validated)
        #expect(LabelStatus(lenient: " predicted ") == .predicted)
        #expect(LabelStatus(lenient: "Dubious") == .dubious)
        #expect(LabelStatus(lenient: "maybe") == nil)
    }
}
