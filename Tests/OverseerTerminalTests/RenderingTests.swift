@testable import OverseerTerminal
import XCTest

/// Repaint, plain-text rendering, and batched plain lines against libvterm fed line by line.
final class RenderingTests: XCTestCase {
    func testRepaintRebuildsTheSameScreenOnAFreshTerminal() {
        let original = TerminalScreen(rows: 8, cols: 30)
        _ = original.feed(Array((
            "\u{1B}]2;repainted\u{07}plain \u{1B}[1;31mbold red\u{1B}[0m \u{1B}[4;38;5;200mindexed\u{1B}[0m\r\n"
            + "\u{1B}[7mreverse\u{1B}[27m \u{1B}[48;2;10;20;30mrgb bg\u{1B}[0m 日本😀\r\n"
            + "\u{1B}[2;6r\u{1B}[?2004h\u{1B}[?1h\u{1B}[?1002h\u{1B}[44m\u{1B}[8;29Hz\u{1B}[?25l\u{1B}[3;4H\u{1B}[3mpen"
        ).utf8))
        let fresh = TerminalScreen(rows: 8, cols: 30)
        _ = fresh.feed(original.repaint())
        XCTAssertEqual(fresh.snapshot(), original.snapshot())
        XCTAssertEqual(fresh.repaint(), original.repaint(), "every cell's text and style, the pen and the scroll region")
        // The pen carried over: text written next looks the same on both.
        _ = original.feed(Array("after".utf8))
        _ = fresh.feed(Array("after".utf8))
        XCTAssertEqual(fresh.repaint(), original.repaint())

        let onAlternate = TerminalScreen(rows: 4, cols: 10)
        _ = onAlternate.feed(Array("main\u{1B}[?1049h\u{1B}[Halt".utf8))
        let copy = TerminalScreen(rows: 4, cols: 10)
        _ = copy.feed(onAlternate.repaint())
        XCTAssertEqual(copy.snapshot(), onAlternate.snapshot())
        XCTAssertTrue(copy.snapshot().alternateScreen)
    }

    func testPlainTextRendersWhatAPersonSaw() {
        let transcript = "$ ls\r\n\u{1B}[01;34mdir\u{1B}[0m  file\r\n"
            + "progress 10%\rprogress 100%\r\n"
            + "typo\u{8}\u{8}\u{1B}[Kpe\r\n"
            + "\u{1B}[?1049h\u{1B}[H\u{1B}[2Jvim frame line 1\r\n~\r\n~\u{1B}[?1049l"
            + "$ exit\r\n"
        let lines = PlainTextRenderer.render(Array(transcript.utf8), rows: 5, cols: 40)
        XCTAssertEqual(lines, ["$ ls", "dir  file", "progress 100%", "type", "vim frame line 1", "~", "~", "$ exit"], "in the order they were seen")
    }

    func testPlainTextStreamsLinesAsTheyScrollOff() {
        let renderer = PlainTextRenderer(rows: 3, cols: 10)
        XCTAssertEqual(renderer.feed(Array("a\r\nb\r\n".utf8)), [])
        XCTAssertEqual(renderer.feed(Array("c\r\nd\r\n".utf8)), ["a", "b"])
        XCTAssertEqual(renderer.feed(Array("a long line that wraps".utf8)), ["c", "d"], "wrapping scrolled twice")
        XCTAssertEqual(renderer.finish(), ["a long lin", "e that wra", "ps"])
    }

    /// Batched runs of plain lines must leave exactly what libvterm fed line by line leaves.
    func testBatchedPlainLinesMatchLineByLineFeeding() {
        var random = SplitMix(seed: 12)
        for round in 0..<60 {
            let rows = [3, 5, 24][round % 3]
            let cols = [10, 40, 80][round % 3]
            let batched = TerminalScreen(rows: rows, cols: cols, scrollbackLines: 50, batchesPlainLines: true)
            let reference = TerminalScreen(rows: rows, cols: cols, scrollbackLines: 50, batchesPlainLines: false)
            let stream = Array(Self.randomOutput(&random, cols: cols).utf8)
            var offset = 0
            while offset < stream.count {
                let length = min(stream.count - offset, Int(random.next() % 3000) + 1)
                let chunk = Array(stream[offset..<offset + length])
                XCTAssertEqual(batched.feed(chunk), reference.feed(chunk), "round \(round)")
                offset += length
            }
            XCTAssertEqual(batched.snapshot(), reference.snapshot(), "round \(round)")
            XCTAssertEqual(batched.repaint(), reference.repaint(), "round \(round): cells and pen")
            XCTAssertEqual(batched.scrollback(100), reference.scrollback(100), "round \(round)")
        }
    }

    /// The same for bulk output, where batching does most of the work: plain, wrapping and
    /// coloured lines (some leaving a background set), now and then something that stops a batch.
    func testBatchedBulkOutputMatchesLineByLineFeeding() {
        var random = SplitMix(seed: 7)
        for round in 0..<30 {
            let rows = [2, 5, 24][round % 3]
            let cols = [7, 40, 80][round % 3]
            let batched = TerminalScreen(rows: rows, cols: cols, scrollbackLines: [3, 100, 1000][round % 3], batchesPlainLines: true)
            let reference = TerminalScreen(rows: rows, cols: cols, scrollbackLines: [3, 100, 1000][round % 3], batchesPlainLines: false)
            var out = ""
            for _ in 0..<3000 {
                let width = Int(random.next() % UInt64(cols * 4))
                let text = String((0..<width).map { _ in Character(UnicodeScalar(UInt8(0x20 + random.next() % 95))) })
                switch random.next() % 100 {
                case 0: out += "\u{1B}[?7\(random.next() % 3 == 0 ? "l" : "h")"
                case 1: out += "tab\there\r\n"
                case 2: out += "\u{1B}[\(random.next() % 30);1H"
                case 3..<15: out += "\u{1B}[4\(random.next() % 8);1m\(text.prefix(cols - 1))\r\n" // pen left set
                case 15..<20: out += "\u{1B}[3\(random.next() % 8)m\(text.prefix(cols / 2))\u{1B}[0m\r\n"
                case 20..<25: // one attribute at a time, resets written as ls and others write them
                    let sgr = ["3", "23", "4", "24", "7", "27", "1", "22", "01;34", "0;35", "00", "", "45"][Int(random.next() % 13)]
                    out += "\u{1B}[\(sgr)m\(text.prefix(cols - 1))\r\n"
                case 25..<30: out += "\(String(repeating: "=", count: cols * Int(1 + random.next() % 2)))\r\n"
                default: out += "\(text)\r\n"
                }
            }
            let stream = Array(out.utf8)
            var offset = 0
            while offset < stream.count {
                let length = min(stream.count - offset, Int(random.next() % 20000) + 1)
                let chunk = Array(stream[offset..<offset + length])
                XCTAssertEqual(batched.feed(chunk), reference.feed(chunk), "round \(round)")
                offset += length
            }
            XCTAssertEqual(batched.snapshot(), reference.snapshot(), "round \(round)")
            XCTAssertEqual(batched.repaint(), reference.repaint(), "round \(round): cells and pen")
            XCTAssertEqual(batched.scrollback(1000), reference.scrollback(1000), "round \(round)")
            XCTAssertLessThan(batched.singleLineScrolls * 2, reference.singleLineScrolls, "round \(round): batching did the work")
        }
    }

    func testBulkOutputIsScrolledInBatches() {
        let screen = TerminalScreen(rows: 24, cols: 80, scrollbackLines: 10, batchesPlainLines: true)
        let reference = TerminalScreen(rows: 24, cols: 80, scrollbackLines: 10, batchesPlainLines: false)
        let bulk = Array((1...20000).map { "\u{1B}[3\($0 % 8)m\($0)\u{1B}[0m\r\n" }.joined().utf8)
        for offset in stride(from: 0, to: bulk.count, by: 4096) {
            let chunk = Array(bulk[offset..<min(offset + 4096, bulk.count)])
            _ = screen.feed(chunk)
            _ = reference.feed(chunk)
        }
        XCTAssertEqual(screen.repaint(), reference.repaint())
        XCTAssertEqual(screen.scrollback(10), reference.scrollback(10))
        XCTAssertEqual(reference.singleLineScrolls, 20000 - 23)
        XCTAssertLessThan(screen.singleLineScrolls, 20000 / 20, "one whole-screen move per chunk, not per line")
    }

    /// Output of the kinds programs write: plain and coloured lines (some leaving a background
    /// set), long lines that wrap, tabs, UTF-8, CR overwrites, cursor motion, clears, scroll
    /// regions and the alternate screen.
    static func randomOutput(_ random: inout SplitMix, cols: Int) -> String {
        var out = ""
        for _ in 0..<600 {
            let width = Int(random.next() % UInt64(cols + cols / 2))
            let text = String((0..<width).map { _ in Character(UnicodeScalar(UInt8(0x21 + random.next() % 90))) })
            switch random.next() % 22 {
            case 0: out += "\u{1B}[4\(random.next() % 8)m\(text)\r\n" // background left set
            case 1: out += "\u{1B}[1;3\(random.next() % 8)m\(text.prefix(5))\u{1B}[0m\(text.dropFirst(5))\r\n"
            case 2: out += "\(text)\r\n\(text)\r\n" // may wrap
            case 3: out += "a\tb\tc\r\n"
            case 4: out += "é日本😀 \(text.prefix(cols / 3))\r\n"
            case 5: out += "\(text.prefix(8))\rover\r\n"
            case 6: out += "\u{1B}[\(random.next() % 30);\(random.next() % 90)H"
            case 7: out += random.next() % 4 == 0 ? "\u{1B}[2J" : "\u{1B}[K"
            case 8: out += random.next() % 2 == 0 ? "\u{1B}[2;\(2 + random.next() % 20)r" : "\u{1B}[r"
            case 9: out += random.next() % 2 == 0 ? "\u{1B}[?1049h" : "\u{1B}[?1049l"
            case 10: out += "\(text.prefix(cols - 1))\n" // LF without CR
            case 11: out += random.next() % 2 == 0 ? "\u{1B}[?7l" : "\u{1B}[?7h" // autowrap
            case 12, 13: out += "\(text)\r\n" // may wrap
            case 14: out += "\(String(repeating: "w", count: cols))\r\n" // exactly one row
            default: out += "\(text.prefix(max(cols - 2, 1)))\r\n"
            }
        }
        return out
    }
}

/// A small seeded generator, so a failing round can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
