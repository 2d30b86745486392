import CVTerm
#if canImport(Glibc)
import Glibc
#endif

/// Why: libvterm 0.1.4 keeps the screen in one flat array, so every line that scrolls moves the
/// whole screen (rows × cols cells, ~66 KB at 80×24): bulk output such as `seq` or a build log
/// parses at ~3 MB/s, far slower than a PTY delivers it. A run of plain lines at the bottom of a
/// full-screen scroll region is fed instead as one scroll up by the run's length, then the lines
/// themselves below it, which leaves exactly the screen, scrollback and pen the line-by-line
/// feed leaves (the tests compare both cell by cell).
extension ScreenEngine {
    /// Feeds `count` complete plain lines (printable ASCII and SGR, each narrower than the screen,
    /// each ending in CR LF; see `SequenceTracker`).
    func feedPlainLines(_ run: UnsafeBufferPointer<UInt8>, count: Int) {
        var lines = LineSplitter(run)
        var remaining = count
        // Feed lines one by one until one is seen to scroll the whole screen from its bottom row.
        var confirmed = false
        var attempts = 0
        while batchesPlainLines && remaining > 0 && attempts <= rows {
            let before = fullScrolls
            write(lines.next())
            remaining -= 1
            attempts += 1
            let position = cursor
            if fullScrolls == before + 1 && Int(position.row) == rows - 1 && position.col == 0 {
                confirmed = true
                break
            }
        }
        guard confirmed && remaining >= 2 else {
            write(lines.rest)
            return
        }
        // Now every further LF scrolls the whole screen by one line.
        let pushes = !alternateScreen
        if remaining > rows - 1 {
            // The rows above the cursor and the first lines scroll off; the last rows - 1 lines stay.
            if pushes { for row in 0..<(rows - 1) { pushRowToScrollback(row) } }
            for _ in 0..<(remaining - (rows - 1)) { scrollOff(lines.next(), pushes: pushes) }
            write("\u{1B}[\(rows)S\u{1B}[1;1H") // erases without pushing: a scroll by the whole height
            remaining = rows - 1
        } else {
            write("\u{1B}[\(remaining)S\u{1B}[\(rows - remaining);1H")
        }
        // The batch erased the rows below with the pen of this moment; where a line changed the
        // pen, the next row is erased again with the pen its own scroll would have used.
        var penChanged = false
        for _ in 0..<remaining {
            let line = lines.next()
            write(line)
            if !penChanged && memchr(line.baseAddress!, 0x1B, line.count) != nil { penChanged = true }
            if penChanged { write("\u{1B}[2K") }
        }
    }

    /// A line that scrolls off before it is ever drawn: its SGR changes the pen, its text goes to
    /// the scrollback (as libvterm would convert it: trailing blanks dropped).
    private func scrollOff(_ line: UnsafeBufferPointer<UInt8>, pushes: Bool) {
        var text: [UInt8] = []
        text.reserveCapacity(line.count)
        var index = 0
        while index < line.count {
            let byte = line[index]
            if byte == 0x1B {
                var end = index + 1
                while end < line.count && line[end] != 0x6D { end += 1 }
                write(UnsafeBufferPointer(rebasing: line[index..<min(end + 1, line.count)]))
                index = end + 1
                continue
            }
            if byte >= 0x20 { text.append(byte) }
            index += 1
        }
        guard pushes else { return }
        while text.last == 0x20 { text.removeLast() }
        text.withUnsafeBufferPointer { appendToScrollback($0) }
    }
}

/// Splits a run of lines at LF (each line keeps its CR LF).
private struct LineSplitter {
    let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func next() -> UnsafeBufferPointer<UInt8> {
        let base = bytes.baseAddress! + offset
        let remaining = bytes.count - offset
        let end = memchr(base, 0x0A, remaining).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) + 1 } ?? remaining
        offset += end
        return UnsafeBufferPointer(start: base, count: end)
    }

    var rest: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[offset...])
    }
}
