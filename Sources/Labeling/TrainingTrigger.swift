import Foundation
import PlanktermCore

/// When the labeling screen queues training by itself: every `every` validated labels, and after `idle`
/// seconds without a key once labels were given (a coffee). Time comes from the clock it is given.
public struct TrainingTrigger: Sendable {
    /// Validated labels between two automatic trainings; 0 turns this trigger off.
    public let every: Int
    /// Seconds without a key, after labels, before training on them; 0 turns this trigger off.
    public let idle: TimeInterval
    /// Validated labels given since training was last queued.
    public private(set) var validatedSinceTrain = 0
    private let clock: any Clock
    private var lastKey: Date

    public init(every: Int, idle: TimeInterval, clock: any Clock) {
        self.every = every
        self.idle = idle
        self.clock = clock
        lastKey = clock.now()
    }

    /// Counts validated labels; returns the reason for training when `every` of them have been given.
    public mutating func counted(_ n: Int) -> String? {
        validatedSinceTrain += n
        guard every > 0, validatedSinceTrain >= every else { return nil }
        validatedSinceTrain = 0
        return "\(every) new labels"
    }

    /// A key was read: the idle time starts again from now.
    public mutating func keyPressed() {
        lastKey = clock.now()
    }

    /// No key came: returns the reason for training when labels were given and no key came for `idle`.
    public mutating func noKey() -> String? {
        guard validatedSinceTrain > 0, idle > 0, clock.now().timeIntervalSince(lastKey) >= idle else { return nil }
        validatedSinceTrain = 0
        return "idle for \(Int(idle)) s"
    }

}
