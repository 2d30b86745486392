/// Renders a program's output (a transcript's bytes) into the lines a person at a terminal of
/// that size would have seen, escape sequences rendered away: every line that scrolled off the
/// top, in order, then the final screen (trailing blank rows dropped).
///
/// Alternate-screen content (vim, less, htop) never scrolls off: each alternate-screen session
/// contributes its last frame (trailing blank rows dropped) when the program leaves it, after
/// the main-screen rows above the cursor; then the main screen continues. A transcript that ends
/// on the alternate screen ends with that screen. Intermediate frames are not kept.
public final class PlainTextRenderer {
    private let screen: TerminalScreen

    public init(rows: Int = 24, cols: Int = 80) {
        screen = TerminalScreen(rows: rows, cols: cols, scrollbackLines: Int.max, batchesPlainLines: true, keepsAlternateFrames: true)
    }

    /// Feeds the next part of the transcript; returns the lines that became final with it.
    public func feed(_ bytes: [UInt8]) -> [String] {
        _ = screen.feed(bytes)
        return screen.takeScrollback()
    }

    /// The lines of the final screen (call once, after the last `feed`).
    public func finish() -> [String] {
        screen.takeScrollback() + screen.finalRows()
    }

    /// The whole transcript at once.
    public static func render(_ transcript: [UInt8], rows: Int = 24, cols: Int = 80) -> [String] {
        let renderer = PlainTextRenderer(rows: rows, cols: cols)
        return renderer.feed(transcript) + renderer.finish()
    }
}
