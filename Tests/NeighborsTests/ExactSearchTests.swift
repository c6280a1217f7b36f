import PlanktermCore
import Testing

@testable import Neighbors

@Suite struct ExactSearchTests {
    static func unitRows(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var x = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<d { s += x[i * d + j] * x[i * d + j] }
            for j in 0..<d { x[i * d + j] /= s.squareRoot() }
        }
        return x
    }

    /// The naive answer: every score, fully sorted.
    static func naive(_ q: [Float], _ b: [Float], d: Int, k: Int, selfOffset: Int? = nil) -> [[Int]] {
        let nq = q.count / d, nb = b.count / d
        return (0..<nq).map { i in
            var scored: [(Float, Int)] = []
            for j in 0..<nb where selfOffset.map({ $0 + i }) != j {
                var s: Float = 0
                for t in 0..<d { s += q[i * d + t] * b[j * d + t] }
                scored.append((s, j))
            }
            scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            return scored.prefix(k).map(\.1)
        }
    }

    @Test(arguments: [1, 2])
    func matchesNaiveSearchForManyAndFewQueries(threads: Int) {
        let d = 16, k = 7
        let base = Self.unitRows(3000, d, seed: 1)
        var search = ExactSearch(threads: threads)
        search.baseBlock = 500  // several blocks, a ragged last one
        search.queryBlock = 33
        for nq in [1, 3, 100] {
            let queries = Self.unitRows(nq, d, seed: UInt64(nq) + 10)
            let found = queries.withUnsafeBufferPointer { q in
                base.withUnsafeBufferPointer { b in
                    search.search(
                        queries: q.baseAddress!, queryCount: nq, base: b.baseAddress!, baseCount: 3000,
                        dimension: d, k: k)
                }
            }
            let truth = Self.naive(queries, base, d: d, k: k)
            for i in 0..<nq {
                #expect(found.neighbors(of: i).map(\.index) == truth[i])
                let sims = found.neighbors(of: i).map(\.similarity)
                #expect(sims == sims.sorted(by: >))
            }
        }
    }

    @Test func fewerCandidatesThanKArePadded() {
        let base = Self.unitRows(3, 4, seed: 2)
        let found = base.withUnsafeBufferPointer { b in
            ExactSearch(threads: 2).search(
                queries: b.baseAddress!, queryCount: 3, base: b.baseAddress!, baseCount: 3,
                dimension: 4, k: 5, selfOffset: 0)
        }
        for i in 0..<3 {
            #expect(found.neighbors(of: i).count == 2)
            #expect(!found.neighbors(of: i).map(\.index).contains(i))
        }
        #expect(found.indices[4] == -1)
    }
}
