import Dispatch
import Foundation

/// A flag one thread sets and another reads (a long loop reads it between steps and stops when set).
///
/// `stopOnSignals()` makes Ctrl-C (SIGINT) and SIGTERM set it instead of ending the process.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sources: [any DispatchSourceSignal] = []

    public init() {}

    public var isSet: Bool { lock.withLock { stopped } }

    public func set() { lock.withLock { stopped = true } }

    /// Catches SIGINT and SIGTERM from now on (the default action — dying — is replaced by the flag).
    public func stopOnSignals() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in set() }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
