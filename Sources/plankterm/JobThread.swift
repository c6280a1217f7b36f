import Foundation
import Linalg
import Project

/// What the background thread tells the screen: the running job in one line. Written by the job
/// thread, read by the screen's thread on every key timeout.
final class JobBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var _line = ""
    private var _stop = false
    private var _running: Int64?

    var line: String {
        get { lock.withLock { _line } }
        set { lock.withLock { _line = newValue } }
    }
    var stop: Bool {
        get { lock.withLock { _stop } }
        set { lock.withLock { _stop = newValue } }
    }
    /// The job this process is running, if any.
    var running: Int64? {
        get { lock.withLock { _running } }
        set { lock.withLock { _running = newValue } }
    }
}

/// The labeling screen's job thread: it runs the project's queued jobs while the screen is open.
enum JobThread {
    /// The thread that runs the project's jobs while the screen is open.
    static func start(project handle: ProjectHandle, imagesRoot: String, board: JobBoard) -> Thread {
        // One lane: the job thread computes on one thread (see below).
        let runner = JobRunner(
            project: handle, imagesRoot: imagesRoot,
            weights: { try EmbedCommand.resolveWeights(nil, project: $0) }, lanes: 1)
        let thread = Thread {
            // Jobs give way to the keyboard: this thread (and the fold threads it starts, which inherit
            // it) runs at nice 10, and OpenBLAS computes in the calling thread rather than in its own
            // pool, so the screen's thread keeps the CPU whenever it needs it.
            Background.lowerThreadPriority()
            Gemm.setThreads(1)
            while !board.stop {
                let job = try? runner.runNext { job in
                    board.running = job.state == .running ? job.id : nil
                    board.line = job.statusLine
                }
                if job == nil {
                    // Show what another process (a worker, another screen) is running.
                    let running = try? handle.runningJob(limit: 5)
                    board.line = running.map(\.statusLine) ?? (board.running == nil ? "" : board.line)
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return thread
    }
}

/// Scheduling of background work.
enum Background {
    /// Nice 10 for the calling thread (Linux keeps a nice value per thread; threads it starts inherit it).
    static func lowerThreadPriority() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    }

    /// Nice 10 for every thread of the process (OpenBLAS's pool included) and those started later.
    static func lowerProcessPriority() {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks.compactMap({ id_t($0) }) {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), task, 10)
        }
    }
}
