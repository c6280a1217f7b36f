import Foundation
import PlanktermCore
import Testing

@testable import Labeling

/// A clock the test moves by hand.
final class FakeClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var date = Date(timeIntervalSince1970: 1_000_000)

    func now() -> Date { lock.withLock { date } }
    func advance(_ seconds: TimeInterval) { lock.withLock { date += seconds } }
}

/// The automatic training triggers: every N validated labels, and after an idle time with labels given.
@Suite struct TrainingTriggerTests {
    @Test("every N validated labels: fires at the Nth and counts again from zero")
    func everyN() {
        var trigger = TrainingTrigger(every: 3, idle: 0, clock: FakeClock())
        #expect(trigger.counted(1) == nil)
        #expect(trigger.counted(1) == nil)
        #expect(trigger.counted(1) == "3 new labels")
        #expect(trigger.validatedSinceTrain == 0)
        #expect(trigger.counted(2) == nil)
        #expect(trigger.counted(5) == "3 new labels")
    }

    @Test("every 0 never fires, but the labels are still counted for the idle trigger and for leaving")
    func everyOff() {
        var trigger = TrainingTrigger(every: 0, idle: 0, clock: FakeClock())
        #expect(trigger.counted(100) == nil)
        #expect(trigger.validatedSinceTrain == 100)
    }

    @Test("idle: fires once the idle time has passed since the last key, only when labels were given")
    func idle() {
        let clock = FakeClock()
        var trigger = TrainingTrigger(every: 50, idle: 120, clock: clock)
        clock.advance(500)
        #expect(trigger.noKey() == nil, "no labels yet: nothing to train on")
        trigger.keyPressed()
        #expect(trigger.counted(2) == nil)
        clock.advance(119)
        #expect(trigger.noKey() == nil)
        trigger.keyPressed()
        clock.advance(119)
        #expect(trigger.noKey() == nil, "a key restarts the idle time")
        clock.advance(1)
        #expect(trigger.noKey() == "idle for 120 s")
        #expect(trigger.validatedSinceTrain == 0)
        clock.advance(1000)
        #expect(trigger.noKey() == nil, "fired once: the labels are counted as trained on")
    }

    @Test("idle 0 turns the idle trigger off")
    func idleOff() {
        let clock = FakeClock()
        var trigger = TrainingTrigger(every: 50, idle: 0, clock: clock)
        #expect(trigger.counted(1) == nil)
        clock.advance(10_000)
        #expect(trigger.noKey() == nil)
        #expect(trigger.validatedSinceTrain == 1)
    }
}
