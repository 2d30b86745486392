import CVTerm
import Synchronization

/// The rendered terminal screen of one program, built on libvterm: fed the program's output (from
/// one PTY drain thread), read from any thread.
public final class TerminalScreen: Sendable {
    /// Scrollback lines kept when the caller does not say (~155 KiB per 80×24 screen when full of
    /// 75-character lines, 75 KiB idle: `overseer-screen-bench`).
    public static let defaultScrollbackLines = 1000

    /// Guards `engine`, which is only touched under it.
    private let lock = Mutex(())
    nonisolated(unsafe) private let engine: ScreenEngine

    public init(rows: Int, cols: Int, scrollbackLines: Int = TerminalScreen.defaultScrollbackLines) {
        engine = ScreenEngine(rows: rows, cols: cols, scrollbackLines: scrollbackLines)
    }

    /// `batchesPlainLines: false` feeds every line to libvterm one by one (to compare against);
    /// `keepsAlternateFrames` puts each alternate-screen session's last frame in the scrollback.
    init(rows: Int, cols: Int, scrollbackLines: Int, batchesPlainLines: Bool, keepsAlternateFrames: Bool = false) {
        let engine = ScreenEngine(rows: rows, cols: cols, scrollbackLines: scrollbackLines)
        engine.batchesPlainLines = batchesPlainLines
        engine.keepsAlternateFrames = keepsAlternateFrames
        self.engine = engine
    }

    /// Parses output of the program. Returns the bytes a terminal answers to the queries in it
    /// (cursor position and status reports, device attributes, default colours), in order: the
    /// caller writes them to the PTY master. Empty when nothing was asked.
    public func feed(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        lock.withLock { _ in engine.feed(bytes.assumingMemoryBound(to: UInt8.self)) }
    }

    public func feed(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// What a person looking at the terminal sees now.
    public func snapshot() -> ScreenSnapshot {
        lock.withLock { _ in
            engine.parsePending()
            return engine.snapshot()
        }
    }

    /// Up to `count` of the newest lines that scrolled off the top of the main screen, oldest
    /// first (the alternate screen has none, as in xterm and tmux).
    public func scrollback(_ count: Int) -> [String] {
        lock.withLock { _ in
            engine.parsePending()
            return engine.scrollback.last(count)
        }
    }

    /// Follows a resize of the PTY (call it with the same size given to the PTY).
    public func resize(rows: Int, cols: Int) {
        lock.withLock { _ in engine.resize(rows: rows, cols: cols) }
    }

    /// Bytes that draw the current screen on a fresh terminal at once: see `ScreenRepaint`.
    public func repaint() -> [UInt8] {
        lock.withLock { _ in
            engine.parsePending()
            return ScreenRepaint.bytes(for: engine)
        }
    }

    /// Removes and returns the scrollback (for `PlainTextRenderer`).
    func takeScrollback() -> [String] {
        lock.withLock { _ in
            engine.parsePending()
            return engine.scrollback.removeAll()
        }
    }

    /// How many times libvterm scrolled the whole screen by one line (each moves every cell).
    var singleLineScrolls: Int {
        lock.withLock { _ in
            engine.parsePending()
            return engine.fullScrolls
        }
    }

    /// The visible rows at the end of a plain-text rendering (see `ScreenEngine.finalRows`).
    func finalRows() -> [String] {
        lock.withLock { _ in
            engine.parsePending()
            return engine.finalRows()
        }
    }
}
