import Dispatch
import Linalg

/// The k best matches of each query: row q's neighbours are `indices[q*k ..< (q+1)*k]`, best first,
/// with their inner products in `similarities` (cosine, for L2-normalised rows). Where fewer than k
/// candidates exist the list is padded with index −1 and similarity −∞.
public struct NeighborLists: Sendable, Equatable {
    public var k: Int
    public var indices: [Int32]
    public var similarities: [Float]

    public var count: Int { k == 0 ? 0 : indices.count / k }

    public init(k: Int, indices: [Int32], similarities: [Float]) {
        self.k = k
        self.indices = indices
        self.similarities = similarities
    }

    public init(queries: Int, k: Int) {
        self.k = k
        indices = [Int32](repeating: -1, count: queries * k)
        similarities = [Float](repeating: -.infinity, count: queries * k)
    }
}

/// Exact maximum-inner-product search: scores in blocks through `sgemm`, a bounded min-heap per query
/// for the top k, work split over threads by queries (or, for a few queries, by base rows).
///
/// Memory beyond the inputs and the answer: one score block of `queryBlock × baseBlock` floats per thread.
public struct ExactSearch: Sendable {
    public var threads: Int
    public var queryBlock = 256
    public var baseBlock = 1024

    public init(threads: Int = 2) { self.threads = max(1, threads) }

    /// The `k` rows of `base` (baseCount × dimension) with the largest inner product with each row of
    /// `queries` (queryCount × dimension). If `selfOffset` is given, query q is base row selfOffset + q and
    /// is not its own neighbour. Base indices in the answer are offset by `indexOffset`.
    public func search(
        queries: UnsafePointer<Float>, queryCount: Int, base: UnsafePointer<Float>, baseCount: Int,
        dimension d: Int, k: Int, selfOffset: Int? = nil, indexOffset: Int = 0
    ) -> NeighborLists {
        var result = NeighborLists(queries: queryCount, k: k)
        guard queryCount > 0, baseCount > 0, k > 0 else { return result }
        return Gemm.singleThreaded {
            searchParts(
                queries: queries, queryCount: queryCount, base: base, baseCount: baseCount, dimension: d, k: k,
                selfOffset: selfOffset, indexOffset: indexOffset, into: &result)
            return result
        }
    }

    /// The search split over `threads` parts, each part's GEMMs single-threaded.
    private func searchParts(
        queries: UnsafePointer<Float>, queryCount: Int, base: UnsafePointer<Float>, baseCount: Int,
        dimension d: Int, k: Int, selfOffset: Int?, indexOffset: Int,
        into result: inout NeighborLists
    ) {
        let parts = threads
        let q = ReadPointer(queries), b = ReadPointer(base)
        if queryCount >= 4 * parts || parts == 1 {
            let bounds = Self.split(queryCount, parts)
            result.indices.withUnsafeMutableBufferPointer { ip in
                result.similarities.withUnsafeMutableBufferPointer { sp in
                    let indices = SendablePointer(ip.baseAddress!), sims = SendablePointer(sp.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        let range = bounds[part]
                        guard !range.isEmpty else { return }
                        scan(
                            queries: q.pointer + range.lowerBound * d, queryCount: range.count, base: b.pointer,
                            baseRange: 0..<baseCount, dimension: d, k: k,
                            selfOffset: selfOffset.map { $0 + range.lowerBound }, indexOffset: indexOffset,
                            indices: indices.pointer + range.lowerBound * k, sims: sims.pointer + range.lowerBound * k)
                    }
                }
            }
        } else {
            // Few queries: each thread scans part of the base, then the lists are merged.
            let bounds = Self.split(baseCount, parts)
            var partial = [NeighborLists](repeating: NeighborLists(queries: queryCount, k: k), count: parts)
            partial.withUnsafeMutableBufferPointer { pp in
                let lists = SendablePointer(pp.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let range = bounds[part]
                    guard !range.isEmpty else { return }
                    var local = NeighborLists(queries: queryCount, k: k)
                    local.indices.withUnsafeMutableBufferPointer { ip in
                        local.similarities.withUnsafeMutableBufferPointer { sp in
                            scan(
                                queries: q.pointer, queryCount: queryCount, base: b.pointer, baseRange: range,
                                dimension: d,
                                k: k, selfOffset: selfOffset, indexOffset: indexOffset,
                                indices: ip.baseAddress!, sims: sp.baseAddress!)
                        }
                    }
                    lists.pointer[part] = local
                }
            }
            for list in partial { result.merge(list) }
        }
    }

    /// One thread's work: queries × base rows in `baseRange`, heaps in `indices`/`sims` (k per query).
    private func scan(
        queries: UnsafePointer<Float>, queryCount: Int, base: UnsafePointer<Float>,
        baseRange: Range<Int>, dimension d: Int, k: Int, selfOffset: Int?, indexOffset: Int,
        indices: UnsafeMutablePointer<Int32>, sims: UnsafeMutablePointer<Float>
    ) {
        let qb = min(queryBlock, queryCount), bb = min(baseBlock, baseRange.count)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: qb * bb)
        defer { scores.deallocate() }
        for q in 0..<(queryCount * k) { indices[q] = -1; sims[q] = -.infinity }
        var q0 = 0
        while q0 < queryCount {
            let qn = min(qb, queryCount - q0)
            var b0 = baseRange.lowerBound
            while b0 < baseRange.upperBound {
                let bn = min(bb, baseRange.upperBound - b0)
                Gemm.sgemm(m: qn, n: bn, k: d, a: queries + q0 * d, b: base + b0 * d, transB: true, c: scores)
                for qi in 0..<qn {
                    let query = q0 + qi
                    let heapSims = sims + query * k, heapIndices = indices + query * k
                    let row = scores + qi * bn
                    let skip = selfOffset.map { $0 + query - b0 } ?? -1
                    var threshold = heapSims[0]
                    for j in 0..<bn where row[j] > threshold && j != skip {
                        Heap.replaceTop(
                            sims: heapSims, indices: heapIndices, k: k, similarity: row[j],
                            index: Int32(b0 + j + indexOffset))
                        threshold = heapSims[0]
                    }
                }
                b0 += bn
            }
            q0 += qn
        }
        for query in 0..<queryCount { Heap.sortDescending(sims: sims + query * k, indices: indices + query * k, k: k) }
    }

    static func split(_ count: Int, _ parts: Int) -> [Range<Int>] {
        (0..<parts).map { p in (count * p / parts)..<(count * (p + 1) / parts) }
    }
}

extension NeighborLists {
    /// Keeps, for each query, the best k of this list and `other`'s (same queries, same k).
    public mutating func merge(_ other: NeighborLists) {
        precondition(other.k == k && other.count == count)
        for q in 0..<count {
            var pairs: [(Float, Int32)] = []
            pairs.reserveCapacity(2 * k)
            for j in 0..<k where indices[q * k + j] >= 0 { pairs.append((similarities[q * k + j], indices[q * k + j])) }
            for j in 0..<k where other.indices[q * k + j] >= 0 {
                pairs.append((other.similarities[q * k + j], other.indices[q * k + j]))
            }
            pairs.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            for j in 0..<k {
                indices[q * k + j] = j < pairs.count ? pairs[j].1 : -1
                similarities[q * k + j] = j < pairs.count ? pairs[j].0 : -.infinity
            }
        }
    }

    /// The neighbours of query `q`, best first, without padding.
    public func neighbors(of q: Int) -> [(index: Int, similarity: Float)] {
        (0..<k).compactMap { j in
            indices[q * k + j] >= 0 ? (Int(indices[q * k + j]), similarities[q * k + j]) : nil
        }
    }
}

/// A fixed-size min-heap on (similarity, index) pairs stored in two parallel arrays; slot 0 is the worst.
enum Heap {
    @inline(__always)
    static func replaceTop(
        sims: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>, k: Int,
        similarity: Float, index: Int32
    ) {
        var i = 0
        while true {
            let left = 2 * i + 1
            if left >= k { break }
            var child = left
            if left + 1 < k && sims[left + 1] < sims[left] { child = left + 1 }
            if sims[child] >= similarity { break }
            sims[i] = sims[child]
            indices[i] = indices[child]
            i = child
        }
        sims[i] = similarity
        indices[i] = index
    }

    /// Sorts the heap's k entries best first (ties: smaller index first).
    static func sortDescending(sims: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>, k: Int) {
        var pairs = (0..<k).map { (sims[$0], indices[$0]) }
        pairs.sort { $0.0 != $1.0 ? $0.0 > $1.0 : ($0.1 >= 0 && ($1.1 < 0 || $0.1 < $1.1)) }
        for j in 0..<k { sims[j] = pairs[j].0; indices[j] = pairs[j].1 }
    }
}

/// A pointer handed to `concurrentPerform` workers that write disjoint parts of it.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// A read-only pointer shared by `concurrentPerform` workers.
struct ReadPointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
