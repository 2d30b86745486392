import CVTerm

/// One libvterm terminal with what Overseer adds around it. Not thread-safe: `TerminalScreen`
/// guards it with a lock.
final class ScreenEngine {
    let vt: OpaquePointer
    let screen: OpaquePointer
    let state: OpaquePointer
    private(set) var rows: Int
    private(set) var cols: Int
    var tracker: SequenceTracker
    var scrollback: ScrollbackBuffer
    /// Batches runs of plain lines into one scroll (see `feedPlainLines`); off only to compare.
    var batchesPlainLines = true
    /// Puts the last frame of each alternate-screen session into the scrollback when it ends.
    var keepsAlternateFrames = false
    private(set) var alternateScreen = false
    private(set) var cursorVisible = true
    /// Full-screen scrolls by one line seen so far (from libvterm's moverect callback).
    private(set) var fullScrolls = 0
    /// Answers libvterm wrote during the current `feed`.
    private var output: [UInt8] = []
    private var items: [TrackedItem] = []
    /// Bulk output not parsed yet (see `feed`).
    private var pending: [UInt8] = []
    private var rowText: [UInt8] = []
    private var rowTextBuffer: [UInt8] = []
    /// Reused for the text of lines that scroll off unseen (see `PlainLineBatching`).
    var scratch: [UInt8] = []
    private var rowCells: [VTermScreenCell]
    private var alternateBufferEnabled = false
    /// Main-screen rows a plain-text rendering already put out (see `keepAlternateFrame`).
    private var emittedRows: [[UInt8]] = []
    private let callbacks: UnsafeMutablePointer<VTermScreenCallbacks>

    init(rows: Int, cols: Int, scrollbackLines: Int) {
        self.rows = max(rows, 1)
        self.cols = max(cols, 1)
        vt = vterm_new(Int32(self.rows), Int32(self.cols))
        vterm_set_utf8(vt, 1)
        screen = vterm_obtain_screen(vt)
        state = vterm_obtain_state(vt)
        tracker = SequenceTracker(rows: self.rows, cols: self.cols)
        scrollback = ScrollbackBuffer(capacity: scrollbackLines)
        rowCells = Array(repeating: VTermScreenCell(), count: self.cols)
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: VTermScreenCallbacks())
        callbacks.pointee.settermprop = { prop, value, user in
            guard let user, let value else { return 0 }
            Unmanaged<ScreenEngine>.fromOpaque(user).takeUnretainedValue().noteProperty(prop, value.pointee)
            return 1
        }
        callbacks.pointee.moverect = { dest, src, user in
            guard let user else { return 0 }
            Unmanaged<ScreenEngine>.fromOpaque(user).takeUnretainedValue().noteMove(dest: dest, src: src)
            return 1
        }
        callbacks.pointee.sb_pushline = { count, cells, user in
            guard let user, let cells else { return 0 }
            Unmanaged<ScreenEngine>.fromOpaque(user).takeUnretainedValue().pushLine(cells, count: Int(count))
            return 1
        }
        let user = Unmanaged.passUnretained(self).toOpaque()
        vterm_screen_set_callbacks(screen, callbacks, user)
        vterm_output_set_callback(vt, { bytes, count, user in
            guard let user, let bytes else { return }
            let engine = Unmanaged<ScreenEngine>.fromOpaque(user).takeUnretainedValue()
            bytes.withMemoryRebound(to: UInt8.self, capacity: count) {
                engine.output.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
            }
        }, user)
        vterm_screen_reset(screen, 1)
    }

    deinit {
        vterm_free(vt)
        callbacks.deallocate()
    }

    /// Parses program output; returns what the terminal answers (to be written to the PTY master).
    /// Bulk output (chunks of `interactiveChunk` bytes or more holding only text, CR, LF and SGR)
    /// is parsed in batches of up to `batchLimit` bytes, so that one batched scroll covers many
    /// chunks; anything else, and every read of the screen, parses all that is pending first.
    func feed(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        output.removeAll(keepingCapacity: true)
        tracker.scan(bytes, into: &items)
        let urgent = bytes.count < Self.interactiveChunk || tracker.sawControlSequence || !batchesPlainLines
        if pending.isEmpty && urgent {
            parse(bytes, from: tracker.position - bytes.count)
        } else {
            pending.append(contentsOf: bytes)
            if urgent || pending.count >= Self.batchLimit { parsePending(keepingCapacity: !urgent) }
        }
        return output
    }

    static let interactiveChunk = 1024
    static let batchLimit = 128 * 1024

    /// Parses the bytes held back by `feed` (before the screen is read or resized).
    func parsePending(keepingCapacity: Bool = false) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBufferPointer { parse($0, from: tracker.position - $0.count) }
        pending.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Feeds libvterm the stream bytes from offset `base` on, acting on the tracker's events in order.
    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, from base: Int) {
        tracker.closeRun(items: &items)
        var fed = 0
        for item in items {
            let start = max(item.start - base, fed)
            let end = item.end - base
            switch item.event {
            case .alternateScreen(let enter, let legacy):
                var frame: [[UInt8]]?
                if enter {
                    enableAlternateBuffer()
                } else if keepsAlternateFrames && alternateScreen {
                    write(bytes, fed, start)
                    fed = start
                    frame = visibleRows()
                }
                write(bytes, fed, end)
                if legacy {
                    var value = VTermValue()
                    value.boolean = enter ? 1 : 0
                    _ = vterm_state_set_termprop(state, VTERM_PROP_ALTSCREEN, &value)
                }
                if let frame { keepAlternateFrame(frame) }
            case .colorQuery(let code, let stringTerminator):
                write(bytes, fed, end)
                output.append(contentsOf: colorAnswer(code: code, stringTerminator: stringTerminator))
            case .plainLines(let count):
                write(bytes, fed, start)
                feedPlainLines(UnsafeBufferPointer(rebasing: bytes[start..<end]), count: count)
            }
            fed = end
        }
        write(bytes, fed, bytes.count)
        items.removeAll(keepingCapacity: true)
        tracker.runFloor = base + bytes.count
        tracker.sawControlSequence = false
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) {
        guard to > from, let base = bytes.baseAddress else { return }
        write(UnsafeBufferPointer(start: base + from, count: to - from))
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            _ = vterm_input_write(vt, $0, bytes.count)
        }
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { write($0) }
    }

    func resize(rows newRows: Int, cols newCols: Int) {
        parsePending()
        rows = max(newRows, 1)
        cols = max(newCols, 1)
        vterm_set_size(vt, Int32(rows), Int32(cols))
        tracker.cols = cols
        tracker.rows = rows
        rowCells = Array(repeating: VTermScreenCell(), count: cols)
    }

    var cursor: VTermPos {
        var position = VTermPos()
        vterm_state_get_cursorpos(state, &position)
        return position
    }

    func snapshot() -> ScreenSnapshot {
        let lines = (0..<rows).map { String(decoding: text(ofRow: $0), as: UTF8.self) }
        let position = cursor
        return ScreenSnapshot(
            rows: rows, cols: cols, lines: lines,
            cursorRow: Int(position.row), cursorCol: min(Int(position.col), cols - 1),
            cursorVisible: cursorVisible, title: tracker.title,
            alternateScreen: alternateScreen, modes: tracker.modes
        )
    }

    /// The cells of one visible row (wide characters span two; the second is a continuation).
    func cells(ofRow row: Int) -> [VTermScreenCell] {
        rowCells.withUnsafeMutableBufferPointer { buffer in
            for col in 0..<cols {
                _ = vterm_screen_get_cell(screen, VTermPos(row: Int32(row), col: Int32(col)), &buffer[col])
            }
        }
        return rowCells
    }

    /// A visible row's text as UTF-8, trailing blanks dropped.
    func text(ofRow row: Int) -> [UInt8] {
        withText(ofRow: row) { Array($0) }
    }

    /// Calls `body` with a visible row's text (libvterm's own conversion, one call per row, with
    /// trailing spaces dropped: the same text `CellText` makes of the row's cells).
    func withText<R>(ofRow row: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let capacity = cols * 4 * Int(VTERM_MAX_CHARS_PER_CELL)
        if rowTextBuffer.count < capacity { rowTextBuffer = [UInt8](repeating: 0, count: capacity) }
        return rowTextBuffer.withUnsafeMutableBufferPointer { buffer in
            let rect = VTermRect(start_row: Int32(row), end_row: Int32(row + 1), start_col: 0, end_col: Int32(cols))
            let length = buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) {
                vterm_screen_get_text(screen, $0, capacity, rect)
            }
            var end = min(length, capacity)
            while end > 0 && buffer[end - 1] == 0x20 { end -= 1 }
            return body(UnsafeBufferPointer(rebasing: buffer[..<end]))
        }
    }

    /// Puts a visible row into the scrollback, as libvterm does when it scrolls off.
    func pushRowToScrollback(_ row: Int) {
        withText(ofRow: row) { appendToScrollback($0) }
    }

    private func enableAlternateBuffer() {
        guard !alternateBufferEnabled else { return }
        vterm_screen_enable_altscreen(screen, 1)
        alternateBufferEnabled = true
    }

    /// The visible rows' text, trailing blank rows dropped.
    private func visibleRows() -> [[UInt8]] {
        var lines = (0..<rows).map { text(ofRow: $0) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Back on the main screen after an alternate-screen session: the main rows above the cursor
    /// (what was seen before it) go out first, then the session's last frame. Those main rows are
    /// not put out again when they scroll off later, or at the end, unless they changed.
    private func keepAlternateFrame(_ frame: [[UInt8]]) {
        emittedRows = (0..<Int(cursor.row)).map { text(ofRow: $0) }
        for line in emittedRows + frame { line.withUnsafeBufferPointer { scrollback.append($0) } }
    }

    /// Puts a line that scrolled off into the scrollback (skipping one already put out).
    func appendToScrollback(_ line: UnsafeBufferPointer<UInt8>) {
        if let next = emittedRows.first {
            emittedRows.removeFirst()
            if next.elementsEqual(line) { return }
            emittedRows.removeAll()
        }
        scrollback.append(line)
    }

    /// The visible rows for the end of a plain-text rendering: trailing blank rows dropped, and
    /// leading rows already put out before an alternate-screen frame.
    func finalRows() -> [String] {
        var lines = visibleRows()
        var skip = 0
        while skip < min(emittedRows.count, lines.count) && emittedRows[skip] == lines[skip] { skip += 1 }
        if skip == emittedRows.count { lines.removeFirst(skip) }
        return lines.map { String(decoding: $0, as: UTF8.self) }
    }

    private func colorAnswer(code: Int, stringTerminator: Bool) -> [UInt8] {
        var foreground = VTermColor()
        var background = VTermColor()
        vterm_state_get_default_colors(state, &foreground, &background)
        var color = code == 10 ? foreground : background
        vterm_state_convert_color_to_rgb(state, &color)
        func channel(_ value: UInt8) -> String {
            let hex = String(UInt16(value) * 257, radix: 16)
            return String(repeating: "0", count: 4 - hex.count) + hex
        }
        let body = "\u{1B}]\(code);rgb:\(channel(color.rgb.red))/\(channel(color.rgb.green))/\(channel(color.rgb.blue))"
        return Array(body.utf8) + (stringTerminator ? [0x1B, 0x5C] : [0x07])
    }

    private func noteProperty(_ prop: VTermProp, _ value: VTermValue) {
        switch prop {
        case VTERM_PROP_ALTSCREEN: alternateScreen = value.boolean != 0
        case VTERM_PROP_CURSORVISIBLE: cursorVisible = value.boolean != 0
        default: break
        }
    }

    private func noteMove(dest: VTermRect, src: VTermRect) {
        if dest.start_row == 0 && src.start_row == 1 && src.end_row == rows && dest.start_col == 0 && dest.end_col == cols {
            fullScrolls += 1
        }
    }

    private func pushLine(_ cells: UnsafePointer<VTermScreenCell>, count: Int) {
        rowText.removeAll(keepingCapacity: true)
        CellText.appendRow(cells, count: count, to: &rowText)
        rowText.withUnsafeBufferPointer { appendToScrollback($0) }
    }
}
