import CVTerm
import Synchronization

/// The rendered terminal screen of one program, built on libvterm, read from any thread. It is
/// either fed the program's output directly (`feed`), or connected to where the output is
/// stored (`connect`) and pulls from there: every read first catches up with the store, and a
/// background task calls `catchUp` as output arrives. Pulling keeps parsing off the PTY's drain
/// path (the drain only copies), so the model never slows how fast a program can write.
public final class TerminalScreen: Sendable {
    /// Reads stored output from an offset: the bytes (at most `limit`), the offset after them,
    /// and how many bytes before them the store no longer holds.
    public typealias Source = @Sendable (_ from: UInt64, _ limit: Int) -> (bytes: [UInt8], next: UInt64, dropped: UInt64)
    /// Takes the answers to the program's terminal queries (write them to the PTY).
    public typealias Replies = @Sendable ([UInt8]) -> Void

    /// How much a catch-up parses per step.
    static let pullChunk = 256 << 10
    /// Scrollback lines kept when the caller does not say (~155 KiB per 80×24 screen when full of
    /// 75-character lines, 75 KiB idle: `overseer-screen-bench`).
    public static let defaultScrollbackLines = 1000

    /// What the lock keeps besides the engine: the stream's length and a held-back partial character.
    private struct Fed {
        var count: UInt64 = 0
        /// The start of a UTF-8 character the last feed ended inside: given to the engine with
        /// the next feed (libvterm shows each half of a character split between two writes as �).
        var carry: [UInt8] = []
        var source: Source?
        var replies: Replies?
        /// Bytes the source no longer held when they were due (the screen may be stale until the program redraws).
        var missed: UInt64 = 0
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
        lock.withLock { fed in Self.feed(bytes, into: engine, fed: &fed) }
    }

    /// From now on the screen pulls its input from `source`, starting at the offset of the
    /// bytes fed so far, and hands query answers to `replies`.
    public func connect(source: @escaping Source, replies: @escaping Replies) {
        lock.withLock { fed in
            fed.source = source
            fed.replies = replies
        }
    }

    /// Parses whatever the source holds past what was parsed (nothing when not connected).
    public func catchUp() {
        locked { fed in pull(&fed) }
    }

    /// Runs `body` under the lock; when it is taken (perhaps by the idle-priority parser in
    /// the middle of a catch-up) the parser is lifted to normal priority before waiting.
    private func locked<Result: Sendable>(_ body: (inout Fed) -> Result) -> Result {
        if let result = lock.withLockIfAvailable({ fed in body(&fed) }) { return result }
        ParserPriority.shared.readerBlocked()
        return lock.withLock { fed in body(&fed) }
    }

    /// Bytes the source had dropped before the screen could parse them.
    public var missedBytes: UInt64 { locked { $0.missed } }

    private func pull(_ fed: inout Fed) {
        guard let source = fed.source else { return }
        while true {
            let chunk = source(fed.count, Self.pullChunk)
            if chunk.dropped > 0 {
                fed.missed += chunk.dropped
                fed.count += chunk.dropped
                fed.carry = []
            }
            guard !chunk.bytes.isEmpty else { return }
            let answer = chunk.bytes.withUnsafeBytes { Self.feed($0, into: engine, fed: &fed) }
            if !answer.isEmpty { fed.replies?(answer) }
            if chunk.bytes.count < Self.pullChunk { return }
        }
    }

    private static func feed(_ bytes: UnsafeRawBufferPointer, into engine: ScreenEngine, fed: inout Fed) -> [UInt8] {
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

    public func feed(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// What a person looking at the terminal sees now.
    public func snapshot() -> ScreenSnapshot {
        locked { fed in
            pull(&fed)
            engine.parsePending()
            return engine.snapshot()
        }
    }

    /// The snapshot and up to `scrollback` lines above it, taken together (no output between them).
    public func snapshot(scrollback count: Int) -> (snapshot: ScreenSnapshot, scrollback: [String]) {
        locked { fed in
            pull(&fed)
            engine.parsePending()
            return (engine.snapshot(), count > 0 ? engine.scrollback.last(count) : [])
        }
    }

    /// Up to `count` of the newest lines that scrolled off the top of the main screen, oldest
    /// first (the alternate screen has none, as in xterm and tmux).
    public func scrollback(_ count: Int) -> [String] {
        locked { fed in
            pull(&fed)
            engine.parsePending()
            return engine.scrollback.last(count)
        }
    }

    /// Follows a resize of the PTY (call it with the same size given to the PTY).
    public func resize(rows: Int, cols: Int) {
        locked { fed in
            pull(&fed)
            engine.resize(rows: rows, cols: cols)
        }
    }

    /// Bytes that draw the current screen on a fresh terminal at once: see `ScreenRepaint`.
    public func repaint() -> [UInt8] {
        locked { fed in
            pull(&fed)
            engine.parsePending()
            return ScreenRepaint.bytes(for: engine)
        }
    }

    /// A repaint and the stream offset it covers, under one lock: the repaint shows exactly the
    /// first `fedBytes` bytes of output. A connected screen pulls from its source from offset 0,
    /// so `fedBytes` is the source's offset from which its output continues the repaint —
    /// nothing drawn twice, nothing missed.
    ///
    /// A feed can end inside an escape sequence or a UTF-8 character, which the screen holds
    /// unapplied: `fedBytes` is then where that sequence or character starts, so a viewer gets it
    /// whole after the repaint rather than its second half as text. (A C0 control inside an
    /// unfinished CSI, which libvterm executes at once, would then be executed twice; programs
    /// do not send those.)
    public func repaintWithOffset() -> (bytes: [UInt8], fedBytes: UInt64) {
        locked { fed in
            pull(&fed)
            engine.parsePending()
            let unapplied = fed.carry.count + engine.tracker.unfinishedSequenceLength
            return (ScreenRepaint.bytes(for: engine), fed.count - UInt64(unapplied))
        }
    }

    /// Bytes fed so far.
    public var fedBytes: UInt64 { locked { $0.count } }

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
