import Foundation
import Labeling
import PlanktermCore
import TUI

/// A terminal for the labeling loop in-process: it plays a script of keys, quiet spells and window
/// sizes, and keeps every frame drawn. When the script runs out it asks the loop to stop (a SIGTERM).
final class RecordingTerminal: LabelingTerminal {
    enum Step {
        /// A key is read.
        case key(Key)
        /// No key came within the timeout; the clock moves on by `seconds`.
        case quiet(seconds: TimeInterval)
        /// The window changes size (the driver reads a resize).
        case resize(width: Int, height: Int)
    }

    var script: [Step]
    var size: (width: Int, height: Int)
    var stopRequested = false
    var drawsPixels = false
    private(set) var frames: [ScreenBuffer] = []
    private(set) var invalidations = 0
    /// How many keys were read, quiet spells included.
    private(set) var reads = 0
    let clock: FakeClock

    init(_ script: [Step], width: Int = 100, height: Int = 30, clock: FakeClock) {
        self.script = script
        self.size = (width, height)
        self.clock = clock
    }

    /// Typed text as keys, one character each.
    static func typing(_ text: String) -> [Step] { text.map { .key(.character($0)) } }

    func readKey(timeout: Int32) -> Key? {
        reads += 1
        guard !script.isEmpty else {
            stopRequested = true
            return nil
        }
        switch script.removeFirst() {
        case .key(let key): return key
        case .quiet(let seconds):
            clock.advance(seconds)
            return nil
        case .resize(let width, let height):
            size = (width, height)
            return .resize
        }
    }

    func draw(_ frame: ScreenBuffer) { frames.append(frame) }

    func invalidate() { invalidations += 1 }

    /// The last frame's characters.
    var screen: String { frames.last?.text ?? "" }
}
