/// How the labeling screen draws its images.
public enum GraphicsMode: String, Sendable, CaseIterable {
    /// Auto-detected (only as a request: the probe turns it into one of the others).
    case auto
    /// The kitty graphics protocol (kitty, Ghostty, WezTerm, Konsole): pixels sent once, placed by id.
    case kitty
    /// DEC sixels (xterm -ti vt340, foot, mlterm, mintty, WezTerm).
    case sixel
    /// iTerm2's inline images (iTerm2, WezTerm).
    case iterm
    /// Half-block characters: every terminal.
    case blocks
}
