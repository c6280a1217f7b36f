import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Foundation's `Process.waitUntilExit()` can miss a child's exit on Linux (it waits on a SIGCHLD
/// source); a `tmux new-session` client, which exits at once after forking its server, left the test
/// run waiting forever. Here the wait is a plain blocking `waitpid`, which cannot miss it.
public final class ChildProcess: @unchecked Sendable {
    public enum Stream { case pipe, null, inherit }

    public let pid: pid_t
    /// Our ends of the pipes, or -1.
    public private(set) var stdinFD: Int32 = -1
    public let stdoutFD: Int32
    public let stderrFD: Int32
    private var status: Int32?
    private let lock = NSLock()
    private static let spawning = NSLock()

    /// Starts `arguments[0]` (looked up in PATH) with the rest as its arguments.
    public init(
        _ arguments: [String], stdin: Stream = .null, stdout: Stream = .pipe, stderr: Stream = .pipe,
        environment: [String: String]? = nil
    ) throws {
        precondition(!arguments.isEmpty)
        Self.spawning.lock()
        defer { Self.spawning.unlock() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [Int32] = [-1, -1, -1]
        var childEnds: [Int32] = []
        for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .inherit: break
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .pipe:
                var fds: [Int32] = [-1, -1]
                // Close-on-exec, so that children spawned by other tests never hold our pipes open;
                // dup2 onto 0/1/2 clears the flag for this child only. (Spawning is serialised below,
                // so no other child starts between pipe and fcntl.)
                guard pipe(&fds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
                _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
                _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
                let (childEnd, parentEnd) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
                posix_spawn_file_actions_adddup2(&actions, childEnd, target)
                parentEnds[Int(target)] = parentEnd
                childEnds.append(childEnd)
            }
        }
        var env = ProcessInfo.processInfo.environment
        if let environment { env.merge(environment) { $1 } }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // Threads of the test runner block most signals, and a spawned child inherits the mask of the
        // thread that spawns it: a child that ignores SIGTERM would outlive its test. Start clean.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp)
        childEnds.forEach { close($0) }
        guard rc == 0 else {
            parentEnds.filter { $0 >= 0 }.forEach { close($0) }
            throw POSIXError(.init(rawValue: rc) ?? .EIO)
        }
        pid = child
        stdinFD = parentEnds[0]
        stdoutFD = parentEnds[1]
        stderrFD = parentEnds[2]
    }

    /// Writes `data` to the child's standard input (ignoring a child that stopped reading) and closes it.
    public func finishInput(_ data: Data = Data()) {
        guard stdinFD >= 0 else { return }
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(stdinFD, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
        close(stdinFD)
        stdinFD = -1
    }

    /// Reads `fd` to its end and closes it.
    public static func readAll(_ fd: Int32) -> Data {
        guard fd >= 0 else { return Data() }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data.append(buffer, count: n)
        }
        close(fd)
        return data
    }

    /// Blocks until the child ends: its exit status, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let result = Self.decode(raw)
        status = result
        return result
    }

    /// Whether the child is still running (reaping it if it has ended).
    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        if status != nil { return false }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
        status = Self.decode(raw)
        return false
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// Runs `arguments` to completion: status, standard output and standard error.
    public static func run(_ arguments: [String], input: Data? = nil, environment: [String: String]? = nil)
        throws -> (status: Int32, stdout: Data, stderr: Data)
    {
        let child = try ChildProcess(arguments, stdin: input == nil ? .null : .pipe, environment: environment)
        // Standard error is drained on its own thread so that neither pipe can fill and block the child.
        nonisolated(unsafe) var stderr = Data()
        let done = DispatchSemaphore(value: 0)
        Thread {
            stderr = readAll(child.stderrFD); done.signal()
        }.start()
        if let input {
            let writer = Thread { child.finishInput(input) }
            writer.start()
        }
        let stdout = readAll(child.stdoutFD)
        done.wait()
        return (child.wait(), stdout, stderr)
    }
}
