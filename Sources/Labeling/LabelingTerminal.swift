import PlanktermCore

/// What the labeling loop needs of a terminal: keys in, frames out, its size. The ncurses driver is one;
/// tests script one. `Frame` is what a view renders (the TUI's cell buffer): `Labeling` sits below the
/// targets that draw, so it only carries frames from the view to the terminal.
public protocol LabelingTerminal<Frame>: AnyObject {
    associatedtype Frame

    /// The screen size in cells.
    var size: (width: Int, height: Int) { get }
    /// Whether the program was asked to end (SIGTERM, SIGHUP).
    var stopRequested: Bool { get }
    /// Whether images are drawn from their own pixels (kitty, sixel, iTerm2 images) rather than as
    /// character cells: the main image is then decoded at its own resolution.
    var drawsPixels: Bool { get }

    /// Waits up to `timeout` milliseconds for a key (nil: none came).
    func readKey(timeout: Int32) -> Key?
    /// Shows a frame.
    func draw(_ frame: Frame)
    /// Forgets what is on the screen: the next frame is drawn whole (Ctrl-L, resize).
    func invalidate()
}

/// How the labeling loop turns its state into frames: the view's rules for a screen size.
public struct LabelingView<Frame> {
    /// Whether a screen of this size shows the labeling screen (else only "window too small").
    public var fits: (_ width: Int, _ height: Int) -> Bool
    /// The Grid's tiles for a screen size.
    public var gridLayout: (_ width: Int, _ height: Int) -> (columns: Int, rows: Int)
    /// The frame for the state at a screen size.
    public var render: (_ state: LabelingState, _ width: Int, _ height: Int) -> Frame

    public init(
        fits: @escaping (Int, Int) -> Bool, gridLayout: @escaping (Int, Int) -> (columns: Int, rows: Int),
        render: @escaping (LabelingState, Int, Int) -> Frame
    ) {
        self.fits = fits
        self.gridLayout = gridLayout
        self.render = render
    }
}

/// The job thread beside the labeling loop, as the loop sees it.
public struct JobLink {
    /// What a stopped job thread was doing.
    public enum Stopped: Sendable, Equatable {
        /// No job was running.
        case idle
        /// A job was running: it is queued again for the next process (its new id; nil where that failed).
        case interrupted(requeuedAs: Int64?)
    }

    /// The running job in one line, for the status bar ("" when none).
    public var line: () -> String
    /// Stops the job thread (the loop has ended).
    public var stop: () -> Stopped

    public init(line: @escaping () -> String, stop: @escaping () -> Stopped) {
        self.line = line
        self.stop = stop
    }

    /// No job thread (`plankterm worker` runs the jobs).
    public static var none: JobLink { JobLink(line: { "" }, stop: { .idle }) }
}
