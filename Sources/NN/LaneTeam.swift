import Foundation

/// A fixed team of threads ("lanes") that run one closure together: lane 0 on the caller, the others on
/// threads the team owns for its whole life.
///
/// The encoder splits every batch into one contiguous shard of images per lane, so each lane runs the
/// whole network — im2col, single-threaded GEMMs, BatchNorm, ReLU — on its own rows, and the lanes meet
/// only where BatchNorm needs statistics of the whole batch (`LaneContext.allReduce`). On 2 cores this
/// keeps both busy for the whole step, where a multithreaded BLAS leaves one idle (or spinning) during
/// every non-GEMM loop.
///
/// Synchronisation is a mutex and condition variable: a step of ~1 s meets at a few dozen barriers, so
/// their microseconds do not matter, and a waiting lane sleeps instead of spinning against the other.
public final class LaneTeam: @unchecked Sendable {
    public let lanes: Int
    private let shared: Shared

    /// State the worker threads hold (they must not keep the team itself alive).
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var work: ((Int) -> Void)?
        var workGeneration = 0
        var running = 0
        var stopping = false
        var arrived = 0
        var barrierGeneration = 0
        // allReduce scratch: two alternating regions of lanes × capacity Doubles
        var capacity = 0
        var regions: [UnsafeMutablePointer<Double>] = []
        /// Reductions each lane has started (each lane touches only its own slot).
        let reductions: UnsafeMutablePointer<Int>

        init(lanes: Int) {
            reductions = .allocate(capacity: lanes)
            reductions.initialize(repeating: 0, count: lanes)
        }

        deinit {
            for p in regions { p.deallocate() }
            reductions.deallocate()
        }
    }

    /// A team of `lanes` (≥ 1; 1 runs everything on the caller, no threads).
    public init(lanes: Int) {
        self.lanes = max(1, lanes)
        shared = Shared(lanes: self.lanes)
        for lane in 1..<self.lanes {
            let shared = self.shared
            let thread = Thread {
                var seen = 0
                while true {
                    shared.condition.lock()
                    while shared.workGeneration == seen && !shared.stopping { shared.condition.wait() }
                    if shared.stopping {
                        shared.condition.unlock()
                        return
                    }
                    seen = shared.workGeneration
                    var work = shared.work
                    shared.condition.unlock()
                    work?(lane)
                    work = nil  // released before `run` is told (it checks that `body` did not escape)
                    shared.condition.lock()
                    shared.running -= 1
                    if shared.running == 0 { shared.condition.broadcast() }
                    shared.condition.unlock()
                }
            }
            thread.name = "plankterm-lane-\(lane)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Makes `allReduce` able to combine up to `count` Doubles per lane.
    public func reserveReduction(_ count: Int) {
        guard lanes > 1, count > shared.capacity else { return }
        for p in shared.regions { p.deallocate() }
        shared.capacity = count
        shared.regions = (0..<2).map { _ in .allocate(capacity: lanes * count) }
    }

    /// Runs `body(context)` on every lane at once and returns when all have finished.
    public func run(_ body: (LaneContext) -> Void) {
        withoutActuallyEscaping(body) { body in
            let work: (Int) -> Void = { lane in body(LaneContext(lane: lane, team: self)) }
            if lanes > 1 {
                shared.condition.lock()
                shared.work = work
                shared.running = lanes - 1
                shared.workGeneration += 1
                shared.condition.broadcast()
                shared.condition.unlock()
            }
            work(0)
            if lanes > 1 {
                shared.condition.lock()
                while shared.running > 0 { shared.condition.wait() }
                shared.work = nil
                shared.condition.unlock()
            }
        }
    }

    /// Waits until every lane has called `barrier()` (inside `run`).
    func barrier() {
        guard lanes > 1 else { return }
        shared.condition.lock()
        let generation = shared.barrierGeneration
        shared.arrived += 1
        if shared.arrived == lanes {
            shared.arrived = 0
            shared.barrierGeneration += 1
            shared.condition.broadcast()
        } else {
            while shared.barrierGeneration == generation { shared.condition.wait() }
        }
        shared.condition.unlock()
    }

    /// See `LaneContext.allReduce`.
    func allReduce(
        lane: Int, count: Int, into result: UnsafeMutablePointer<Double>,
        _ fill: (UnsafeMutablePointer<Double>) -> Void
    ) {
        if lanes == 1 {
            fill(result)
            return
        }
        precondition(count <= shared.capacity, "reserveReduction first")
        // Alternating regions: a lane writes region r % 2 only after everyone passed barrier r − 1, by
        // which time every lane has finished reading region (r − 2) % 2.
        let region = shared.regions[shared.reductions[lane] % 2]
        shared.reductions[lane] += 1
        fill(region + lane * count)
        barrier()
        result.update(from: region, count: count)
        for other in 1..<lanes {
            let part = region + other * count
            for i in 0..<count { result[i] += part[i] }
        }
    }
}

/// One lane's view of a `LaneTeam.run`: which lane it is and the team's collective operations.
public struct LaneContext {
    public let lane: Int
    let team: LaneTeam

    /// A context for work that runs alone (no team, no threads).
    public static var alone: LaneContext { LaneContext(lane: 0, team: LaneTeam.single) }

    public var lanes: Int { team.lanes }

    /// This lane's share of `0..<total` items: contiguous, the first lanes taking the remainder.
    public func shard(of total: Int) -> Range<Int> {
        let base = total / lanes, extra = total % lanes
        let start = lane * base + min(lane, extra)
        return start..<(start + base + (lane < extra ? 1 : 0))
    }

    /// Every lane calls this with the same `count`: `fill` writes this lane's partial (count Doubles);
    /// `result` (this lane's own) receives the sum over lanes in lane order, the same bit for bit on
    /// every lane.
    public func allReduce(
        count: Int, into result: UnsafeMutablePointer<Double>,
        _ fill: (UnsafeMutablePointer<Double>) -> Void
    ) {
        team.allReduce(lane: lane, count: count, into: result, fill)
    }

    /// Waits for every lane.
    public func barrier() { team.barrier() }
}

extension LaneTeam {
    /// The one-lane team of work that runs alone: it has no threads and no shared state, so any number
    /// of threads may use it at once.
    static let single = LaneTeam(lanes: 1)
}
