import CVTerm
#if canImport(Glibc)
import Glibc
#endif

/// Why: libvterm 0.1.4 keeps the screen in one flat array, so every line that scrolls moves the
/// whole screen (rows × cols cells, ~66 KB at 80×24): bulk output such as `seq` or a build log
/// parses at ~3 MB/s, far slower than a PTY delivers it. A run of plain lines at the bottom of a
/// full-screen scroll region is fed instead as one scroll up by the rows the run takes, then the
/// lines themselves below it (only the last screenful; earlier ones go to the scrollback as text), which leaves exactly the screen, scrollback and pen the line-by-line
/// feed leaves (the tests compare both cell by cell).
extension ScreenEngine {
    /// Feeds `count` complete plain lines (printable ASCII and SGR, each ending in CR LF; a line
    /// with SGR is narrower than the screen, one without may wrap; see `SequenceTracker`).
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
            if fullScrolls > before && Int(position.row) == rows - 1 && position.col == 0 {
                confirmed = true
                break
            }
        }
        guard confirmed && remaining >= 2 else {
            write(lines.rest)
            return
        }
        // Now every further LF, and every wrap, scrolls the whole screen by one row.
        let batch = (0..<remaining).map { _ in
            let line = lines.next()
            return (line: line, rows: rowsTaken(by: line))
        }
        let height = rows - 1
        let total = batch.reduce(0) { $0 + $1.rows }
        var firstDrawn = 0
        if total > height {
            // The lines that end up on screen cover at least `height` rows; those before scroll
            // off unseen, after the rows above the cursor. Only the newest `capacity` are kept.
            var covered = 0
            firstDrawn = batch.count
            while covered < height {
                firstDrawn -= 1
                covered += batch[firstDrawn].rows
            }
            var unkept = max(0, height + total - covered - scrollback.capacity)
            let pushes = !alternateScreen
            let kept = {
                if unkept == 0 { return pushes }
                unkept -= 1
                return false
            }
            for row in 0..<height where kept() { pushRowToScrollback(row) }
            for entry in batch[..<firstDrawn] { scrollOff(entry.line, kept: kept) }
            if firstDrawn > 0 {
                let start = batch[0].line.baseAddress!, last = batch[firstDrawn - 1].line
                applyPen(of: UnsafeBufferPointer(start: start, count: last.baseAddress! + last.count - start))
            }
            write("\u{1B}[\(rows)S\u{1B}[1;1H") // erases without pushing: a scroll by the whole height
        } else {
            write("\u{1B}[\(total)S\u{1B}[\(rows - total);1H")
        }
        // The batch erased the rows below with the pen of this moment; once a line changed the
        // pen, the rows below it are erased again with the pen their own scroll would have used.
        var penChanged = false
        for entry in batch[firstDrawn...] {
            write(entry.line)
            if !penChanged && memchr(entry.line.baseAddress!, 0x1B, entry.line.count) != nil { penChanged = true }
            if penChanged { write("\u{1B}[J") }
        }
    }

    /// Screen rows a plain line takes (autowrap is on, or the tracker would not pass a wide line).
    private func rowsTaken(by line: UnsafeBufferPointer<UInt8>) -> Int {
        var width = 0
        var inEscape = false
        for byte in line {
            if inEscape {
                if byte == 0x6D { inEscape = false }
            } else if byte == 0x1B {
                inEscape = true
            } else if byte >= 0x20 {
                width += 1
            }
        }
        return max(1, (width + cols - 1) / cols)
    }

    /// A line that scrolls off before it is ever drawn: its text goes to the scrollback one row
    /// at a time, as libvterm would convert the rows (trailing blanks dropped), for each row
    /// `kept()` allows. (Its SGR is applied with the others, by `applyPen`.)
    private func scrollOff(_ line: UnsafeBufferPointer<UInt8>, kept: () -> Bool) {
        guard let base = line.baseAddress else { return }
        if memchr(base, 0x1B, line.count) == nil {
            var length = line.count
            while length > 0 && (base[length - 1] == 0x0A || base[length - 1] == 0x0D) { length -= 1 }
            var start = 0
            repeat {
                let end = min(start + cols, length)
                var trimmed = end
                while trimmed > start && base[trimmed - 1] == 0x20 { trimmed -= 1 }
                if kept() { appendToScrollback(UnsafeBufferPointer(start: base + start, count: trimmed - start)) }
                start = end
            } while start < length
            return
        }
        guard kept() else { return }
        if scratch.count < line.count { scratch = [UInt8](repeating: 0, count: max(line.count, 256)) }
        scratch.withUnsafeMutableBufferPointer { text in
            var length = 0
            var inEscape = false
            for byte in line {
                if inEscape {
                    if byte == 0x6D { inEscape = false }
                } else if byte == 0x1B {
                    inEscape = true
                } else if byte >= 0x20 {
                    text[length] = byte
                    length += 1
                }
            }
            while length > 0 && text[length - 1] == 0x20 { length -= 1 }
            appendToScrollback(UnsafeBufferPointer(rebasing: text[..<length]))
        }
    }

    /// Gives libvterm the pen that the SGR sequences of unseen lines leave: those from the last
    /// one that starts with a reset (`ESC[m`, `ESC[0…m`) on, since nothing before it matters.
    private func applyPen(of lines: UnsafeBufferPointer<UInt8>) {
        guard let base = lines.baseAddress else { return }
        var from = 0
        var index = lines.count - 1
        while index >= 0 {
            if base[index] == 0x1B && index + 2 < lines.count {
                var digit = index + 2
                while base[digit] == 0x30 { digit += 1 }
                let first = base[digit]
                if first == 0x6D || first == 0x3B && digit > index + 2 {
                    from = index
                    break
                }
            }
            index -= 1
        }
        var at = from
        while at < lines.count, let escape = memchr(base + at, 0x1B, lines.count - at) {
            let start = UnsafeRawPointer(escape) - UnsafeRawPointer(base)
            var end = start + 1
            while end < lines.count && base[end] != 0x6D { end += 1 }
            end = min(end + 1, lines.count)
            write(UnsafeBufferPointer(start: base + start, count: end - start))
            at = end
        }
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
