import Foundation
import PlanktermCore

#if canImport(Glibc)
    import Glibc
#endif

/// Errors of the neighbour files.
public enum NeighborsError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case malformed(path: String, reason: String)

    /// What is wrong, without the path.
    public var reason: String {
        switch self {
        case .cannotRead(_, let r): "cannot read: \(r)"
        case .cannotWrite(_, let r): "cannot write: \(r)"
        case .malformed(_, let r): r
        }
    }

    public var description: String {
        switch self {
        case .cannotRead(let p, let r): "\(p): cannot read: \(r)"
        case .cannotWrite(let p, let r): "\(p): cannot write: \(r)"
        case .malformed(let p, let r): "\(p): \(r)"
        }
    }
}

/// A read-only, memory-mapped float32 matrix file (rows × columns, row-major, no header): the
/// embeddings files. Pages come from the file as they are touched, so a million rows cost no startup.
public final class MappedMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let pointer: UnsafePointer<Float>
    private let mapping: UnsafeMutableRawPointer?
    private let length: Int

    /// Maps the first `rows` rows (default: all whole rows in the file).
    public init(path: String, columns: Int, rows requested: Int? = nil) throws(NeighborsError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        let available = Int(info.st_size) / (columns * 4)
        let rows = requested ?? available
        guard rows <= available else {
            throw .malformed(path: path, reason: "holds \(available) rows of \(columns) floats, \(rows) expected")
        }
        self.rows = rows
        self.columns = columns
        length = rows * columns * 4
        if length == 0 {
            mapping = nil
            pointer = UnsafePointer(UnsafeMutablePointer<Float>.allocate(capacity: 1))
            return
        }
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        mapping = map
        pointer = UnsafePointer(map.assumingMemoryBound(to: Float.self))
    }

    deinit {
        if let mapping { munmap(mapping, length) } else { UnsafeMutablePointer(mutating: pointer).deallocate() }
    }

    public func row(_ r: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: pointer + r * columns, count: columns)
    }
}

/// The k-nearest-neighbour graph of all rows of an embeddings matrix (cosine, self excluded), stored as
/// `PKNN` files: a 16-byte header (magic, version 1, rows, k as little-endian UInt32) then rows × k
/// Int32 neighbour rows, then rows × k Float32 similarities. Readers map it and look a row up in O(1).
public struct NeighborGraph: Sendable, Equatable {
    public static let magic: UInt32 = 0x4E4E_4B50  // "PKNN"
    public var lists: NeighborLists
    public var rows: Int { lists.count }
    public var k: Int { lists.k }

    public init(lists: NeighborLists) { self.lists = lists }

    /// Builds the graph of all rows of `matrix`.
    public static func build(_ matrix: MappedMatrix, k: Int, search: ExactSearch = ExactSearch()) -> NeighborGraph {
        NeighborGraph(
            lists: search.search(
                queries: matrix.pointer, queryCount: matrix.rows, base: matrix.pointer,
                baseCount: matrix.rows, dimension: matrix.columns, k: k, selfOffset: 0))
    }

    /// Extends the graph to all rows of `matrix` whose first `rows` rows it already covers: new rows get
    /// their lists against every row, old rows merge in any new row that beats their current neighbours.
    /// The result equals a fresh `build`.
    public func extended(to matrix: MappedMatrix, search: ExactSearch = ExactSearch()) -> NeighborGraph {
        let old = rows, total = matrix.rows, d = matrix.columns
        guard total > old else { return self }
        let newLists = search.search(
            queries: matrix.pointer + old * d, queryCount: total - old, base: matrix.pointer,
            baseCount: total, dimension: d, k: k, selfOffset: old)
        var oldLists = lists
        if old > 0 {
            let candidates = search.search(
                queries: matrix.pointer, queryCount: old, base: matrix.pointer + old * d,
                baseCount: total - old, dimension: d, k: k, indexOffset: old)
            oldLists.merge(candidates)
        }
        return NeighborGraph(
            lists: NeighborLists(
                k: k, indices: oldLists.indices + newLists.indices,
                similarities: oldLists.similarities + newLists.similarities))
    }

    public func write(to path: String) throws(NeighborsError) {
        var data = Data(capacity: 16 + rows * k * 8)
        for value in [Self.magic, 1, UInt32(rows), UInt32(k)] {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        lists.indices.withUnsafeBytes { data.append(contentsOf: $0) }
        lists.similarities.withUnsafeBytes { data.append(contentsOf: $0) }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .cannotWrite(path: path, reason: ErrorText.describe(error))
        }
    }

    public static func read(from path: String) throws(NeighborsError) -> NeighborGraph {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw .cannotRead(path: path, reason: ErrorText.describe(error))
        }
        guard data.count >= 16 else { throw .malformed(path: path, reason: "shorter than its header") }
        let header = (0..<4).map { i in
            data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        }
        guard header[0] == magic, header[1] == 1 else {
            throw .malformed(path: path, reason: "not a version-1 PKNN file")
        }
        let rows = Int(header[2]), k = Int(header[3])
        guard data.count == 16 + rows * k * 8 else {
            throw .malformed(path: path, reason: "\(data.count) bytes for \(rows) rows × \(k) neighbours")
        }
        var indices = [Int32](repeating: 0, count: rows * k), sims = [Float](repeating: 0, count: rows * k)
        data.withUnsafeBytes { raw in
            indices.withUnsafeMutableBytes {
                $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[16..<(16 + rows * k * 4)]))
            }
            sims.withUnsafeMutableBytes {
                $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(16 + rows * k * 4)...]))
            }
        }
        // Every entry is a row of the graph (or -1, no neighbour) with a cosine similarity, so that a damaged
        // file is refused here instead of sending a reader out of bounds.
        for i in 0..<(rows * k) {
            let index = indices[i], sim = sims[i]
            let valid =
                index == -1
                ? (sim == -.infinity || sim.isNaN || (-1.001...1.001).contains(sim))
                : (index >= 0 && Int(index) < rows && (-1.001...1.001).contains(sim))
            if !valid { throw .malformed(path: path, reason: "entry \(i) (row \(i / k)) is not a neighbour") }
        }
        return NeighborGraph(lists: NeighborLists(k: k, indices: indices, similarities: sims))
    }
}
