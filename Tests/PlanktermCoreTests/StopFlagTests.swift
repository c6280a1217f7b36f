import Foundation
import PlanktermCore
import Testing

@Suite struct StopFlagTests {
    @Test("a flag set on one thread is seen on another, and stays set")
    func setAcrossThreads() {
        let flag = StopFlag()
        #expect(!flag.isSet)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            flag.set(); done.signal()
        }
        done.wait()
        #expect(flag.isSet)
        flag.set()
        #expect(flag.isSet)
    }
}
