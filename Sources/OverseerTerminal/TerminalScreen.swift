import CVTerm
import Synchronization

/// The rendered terminal screen of one program, built on libvterm: fed the program's output (from
/// one PTY drain thread), read from any thread.
public final class TerminalScreen: Sendable {
    /// Scrollback lines kept when the caller does not say (~155 KiB per 80×24 screen when full of
    /// 75-character lines, 75 KiB idle: `overseer-screen-bench`).
    public static let defaultScrollbackLines = 1000

    /// What the lock keeps besides the engine: the stream's length and a held-back partial character.
    private struct Fed {
        var count: UInt64 = 0
        /// The start of a UTF-8 character the last feed ended inside: given to the engine with
        /// the next feed (libvterm shows each half of a character split between two writes as �).
        var carry: [UInt8] = []
    }

    /// Guards `engine`, which is only touched under it, and what was fed.
    private let lock = Mutex(Fed())
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
        lock.withLock { fed in
            fed.count += UInt64(bytes.count)
            let input = bytes.assumingMemoryBound(to: UInt8.self)
            if fed.carry.isEmpty {
                let partial = Self.partialCharacterLength(input)
                if partial > 0 { fed.carry = Array(input.suffix(partial)) }
                return partial == input.count ? [] : engine.feed(UnsafeBufferPointer(rebasing: input.dropLast(partial)))
            }
            let joined = fed.carry + input
            return joined.withUnsafeBufferPointer { joined in
                let partial = Self.partialCharacterLength(joined)
                fed.carry = Array(joined.suffix(partial))
                return partial == joined.count ? [] : engine.feed(UnsafeBufferPointer(rebasing: joined.dropLast(partial)))
            }
        }
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

    /// The snapshot and up to `scrollback` lines above it, taken together (no output between them).
    public func snapshot(scrollback count: Int) -> (snapshot: ScreenSnapshot, scrollback: [String]) {
        lock.withLock { _ in
            engine.parsePending()
            return (engine.snapshot(), count > 0 ? engine.scrollback.last(count) : [])
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

    /// A repaint and the stream offset it covers, under one lock: the repaint shows exactly the
    /// first `fedBytes` bytes of output. When every byte of a stream is fed here before it is
    /// stored elsewhere (an agent's drain path feeds the screen, then appends to the ring),
    /// `fedBytes` is the offset from which the stored output continues the repaint — nothing
    /// drawn twice, nothing missed.
    ///
    /// A feed can end inside an escape sequence or a UTF-8 character, which the screen holds
    /// unapplied: `fedBytes` is then where that sequence or character starts, so a viewer gets it
    /// whole after the repaint rather than its second half as text. (A C0 control inside an
    /// unfinished CSI, which libvterm executes at once, would then be executed twice; programs
    /// do not send those.)
    public func repaintWithOffset() -> (bytes: [UInt8], fedBytes: UInt64) {
        lock.withLock { fed in
            engine.parsePending()
            let unapplied = fed.carry.count + engine.tracker.unfinishedSequenceLength
            return (ScreenRepaint.bytes(for: engine), fed.count - UInt64(unapplied))
        }
    }

    /// Bytes fed so far.
    public var fedBytes: UInt64 { lock.withLock { $0.count } }

    /// How many bytes at the end of `tail` begin a UTF-8 character still missing its last bytes.
    static func partialCharacterLength(_ tail: UnsafeBufferPointer<UInt8>) -> Int {
        for back in 1...max(1, min(3, tail.count)) where back <= tail.count {
            let byte = tail[tail.count - back]
            if byte & 0xC0 == 0x80 { continue }
            guard byte >= 0xC0 else { return 0 }
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            return length > back ? back : 0
        }
        return 0
    }

    /// Turns off everything a repaint (or a program) may have turned on in a terminal: the
    /// alternate screen (first: leaving it restores the cursor it saved), mouse reporting,
    /// bracketed paste, application cursor keys, a scroll region (keeping the cursor where it
    /// is), the pen, a hidden cursor. Sent before a repaint onto a terminal already in use.
    public static let modeReset: [UInt8] = Array("\u{1B}[?1049l\u{1B}[?1000l\u{1B}[?1002l\u{1B}[?1003l\u{1B}[?1006l\u{1B}[?2004l\u{1B}[?1l\u{1B}>\u{1B}7\u{1B}[r\u{1B}8\u{1B}[0m\u{1B}[?25h".utf8)

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
