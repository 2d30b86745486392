@testable import OverseerTerminal
import XCTest

/// The screen model fed known byte sequences (the parts a real program cannot be made to do on cue).
final class TerminalScreenTests: XCTestCase {
    func feed(_ screen: TerminalScreen, _ text: String) -> String {
        String(decoding: screen.feed(Array(text.utf8)), as: UTF8.self)
    }

    func testTextCursorAndTrailingBlanks() {
        let screen = TerminalScreen(rows: 5, cols: 20)
        XCTAssertEqual(feed(screen, "hello  \r\nworld\u{1B}[4;7Hx"), "")
        let snapshot = screen.snapshot()
        XCTAssertEqual(snapshot.lines, ["hello", "world", "", "      x", ""])
        XCTAssertEqual(snapshot.lines.count, 5)
        XCTAssertEqual(snapshot.cursorRow, 3)
        XCTAssertEqual(snapshot.cursorCol, 7)
        XCTAssertTrue(snapshot.cursorVisible)
        _ = feed(screen, "\u{1B}[?25l")
        XCTAssertFalse(screen.snapshot().cursorVisible)
    }

    func testQueriesAreAnsweredInOrder() {
        let screen = TerminalScreen(rows: 24, cols: 80)
        XCTAssertEqual(feed(screen, "\u{1B}[5;10H\u{1B}[6n"), "\u{1B}[5;10R")
        XCTAssertEqual(feed(screen, "\u{1B}[c"), "\u{1B}[?1;2c")
        XCTAssertEqual(feed(screen, "\u{1B}[>c"), "\u{1B}[>0;100;0c")
        XCTAssertEqual(feed(screen, "\u{1B}[5n"), "\u{1B}[0n")
        XCTAssertEqual(feed(screen, "\u{1B}]11;?\u{1B}\\"), "\u{1B}]11;rgb:0000/0000/0000\u{1B}\\")
        XCTAssertEqual(feed(screen, "\u{1B}]11;?\u{07}"), "\u{1B}]11;rgb:0000/0000/0000\u{07}")
        let foreground = feed(screen, "\u{1B}]10;?\u{07}")
        XCTAssertTrue(foreground.hasPrefix("\u{1B}]10;rgb:") && foreground.hasSuffix("\u{07}"), foreground)
        XCTAssertEqual(
            feed(screen, "\u{1B}]10;?\u{1B}\\ab\u{1B}[6n\u{1B}]11;?\u{07}\u{1B}[c"),
            String(foreground.dropLast()) + "\u{1B}\\" + "\u{1B}[5;12R" + "\u{1B}]11;rgb:0000/0000/0000\u{07}" + "\u{1B}[?1;2c"
        )
        XCTAssertEqual(feed(screen, "\u{1B}]12;?\u{07}plain text"), "", "only what a terminal answers is answered")
    }

    func testSequencesSplitAcrossFeedsByteByByte() {
        let screen = TerminalScreen(rows: 24, cols: 80)
        let stream = "\u{1B}[?2004h\u{1B}[?1h\u{1B}[?1002h\u{1B}]2;split title é\u{1B}\\\u{1B}[3;4H\u{1B}[6n\u{1B}]11;?\u{07}"
        var answers: [UInt8] = []
        for byte in Array(stream.utf8) { answers += screen.feed([byte]) }
        XCTAssertEqual(String(decoding: answers, as: UTF8.self), "\u{1B}[3;4R\u{1B}]11;rgb:0000/0000/0000\u{07}")
        let snapshot = screen.snapshot()
        XCTAssertEqual(snapshot.modes, TerminalModes(bracketedPaste: true, applicationCursorKeys: true, mouse: "drag"))
        XCTAssertEqual(snapshot.title, "split title é")
    }

    func testModesSetResetAndSoftReset() {
        let screen = TerminalScreen(rows: 24, cols: 80)
        _ = feed(screen, "\u{1B}[?1;2004;1000h")
        XCTAssertEqual(screen.snapshot().modes, TerminalModes(bracketedPaste: true, applicationCursorKeys: true, mouse: "click"))
        _ = feed(screen, "\u{1B}[?1003h\u{1B}[?1l")
        XCTAssertEqual(screen.snapshot().modes, TerminalModes(bracketedPaste: true, applicationCursorKeys: false, mouse: "move"))
        _ = feed(screen, "\u{1B}[?2004l\u{1B}[?1003l")
        XCTAssertEqual(screen.snapshot().modes, TerminalModes())
        _ = feed(screen, "\u{1B}[?2004h\u{1B}[?1h\u{1B}[!p")
        XCTAssertEqual(screen.snapshot().modes, TerminalModes(), "DECSTR resets them, as in libvterm")
        _ = feed(screen, "\u{1B}[2004h")
        XCTAssertFalse(screen.snapshot().modes.bracketedPaste, "ANSI mode 2004 (no ?) is not bracketed paste")
    }

    func testTitleFromOSC0And2IsNotTruncated() {
        let screen = TerminalScreen(rows: 24, cols: 80)
        XCTAssertNil(screen.snapshot().title)
        _ = feed(screen, "\u{1B}]0;first\u{07}")
        XCTAssertEqual(screen.snapshot().title, "first")
        let long = String(repeating: "long title ", count: 30)
        _ = feed(screen, "\u{1B}]2;\(long)\u{1B}\\")
        XCTAssertEqual(screen.snapshot().title, long)
        _ = feed(screen, "\u{1B}]1;icon only\u{07}")
        XCTAssertEqual(screen.snapshot().title, long)
    }

    func testAlternateScreenKeepsTheMainScreen() {
        for (enter, leave) in [("\u{1B}[?1049h", "\u{1B}[?1049l"), ("\u{1B}[?1047h", "\u{1B}[?1047l"), ("\u{1B}[?47h", "\u{1B}[?47l")] {
            let screen = TerminalScreen(rows: 5, cols: 20)
            _ = feed(screen, "main text")
            _ = feed(screen, enter + "\u{1B}[Hfull screen")
            var snapshot = screen.snapshot()
            XCTAssertTrue(snapshot.alternateScreen, enter)
            XCTAssertEqual(snapshot.lines[0], "full screen", enter)
            _ = feed(screen, leave)
            snapshot = screen.snapshot()
            XCTAssertFalse(snapshot.alternateScreen, leave)
            XCTAssertEqual(snapshot.lines[0], "main text", leave)
        }
    }

    func testWideCharactersAppearOnce() {
        let screen = TerminalScreen(rows: 3, cols: 20)
        _ = feed(screen, "日本語😀x\r\ne\u{301}!")
        let snapshot = screen.snapshot()
        XCTAssertEqual(snapshot.lines[0], "日本語😀x")
        XCTAssertEqual(snapshot.lines[1], "e\u{301}!")
        XCTAssertEqual(snapshot.cursorRow, 1)
        XCTAssertEqual(snapshot.cursorCol, 2)
        _ = feed(screen, "\u{1B}[1;1H\u{1B}[6n")
        XCTAssertEqual(feed(screen, "日本語😀\u{1B}[6n"), "\u{1B}[1;9R", "four wide characters take eight columns")
    }

    func testResizeKeepsContentAndFollowsTheNewSize() {
        let screen = TerminalScreen(rows: 5, cols: 20)
        _ = feed(screen, "line one\r\nline two")
        screen.resize(rows: 10, cols: 40)
        var snapshot = screen.snapshot()
        XCTAssertEqual(snapshot.rows, 10)
        XCTAssertEqual(snapshot.cols, 40)
        XCTAssertEqual(snapshot.lines.count, 10)
        XCTAssertEqual(Array(snapshot.lines.prefix(2)), ["line one", "line two"])
        _ = feed(screen, "\u{1B}[10;35Hend")
        XCTAssertEqual(screen.snapshot().lines[9], String(repeating: " ", count: 34) + "end")
        screen.resize(rows: 3, cols: 10)
        snapshot = screen.snapshot()
        XCTAssertEqual(snapshot.lines.count, 3)
        XCTAssertTrue(snapshot.lines.allSatisfy { $0.count <= 10 })
        XCTAssertEqual(feed(screen, "\u{1B}[9;9H\u{1B}[6n"), "\u{1B}[3;9R", "the cursor is clamped to the new size")
    }

    func testScrollbackIsBoundedOldestDropped() {
        let screen = TerminalScreen(rows: 4, cols: 20, scrollbackLines: 20)
        // Unbatched lines (a tab makes each line non-plain) and batched ones must both be bounded.
        _ = feed(screen, (1...30).map { "tab\t\($0)\r\n" }.joined())
        _ = feed(screen, (31...100).map { "line \($0)\r\n" }.joined())
        let scrollback = screen.scrollback(1000)
        XCTAssertEqual(scrollback.count, 20)
        XCTAssertEqual(scrollback.first, "line 78")
        XCTAssertEqual(scrollback.last, "line 97")
        XCTAssertEqual(screen.scrollback(2), ["line 96", "line 97"])
        XCTAssertEqual(screen.snapshot().lines, ["line 98", "line 99", "line 100", ""])
        XCTAssertEqual(TerminalScreen(rows: 4, cols: 20, scrollbackLines: 0).scrollback(5), [])
    }

    func testAlternateScreenHasNoScrollback() {
        let screen = TerminalScreen(rows: 4, cols: 20, scrollbackLines: 100)
        _ = feed(screen, "\u{1B}[?1049h" + (1...50).map { "alt \($0)\r\n" }.joined())
        XCTAssertEqual(screen.scrollback(100), [])
        XCTAssertEqual(screen.snapshot().lines, ["alt 48", "alt 49", "alt 50", ""])
    }
}
