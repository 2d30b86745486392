import OverseerTerminal
import XCTest

/// `repaintWithOffset`: the repaint and the count of bytes it shows come from one moment, so a
/// client playing the repaint and then the stream from that offset ends up where the model is.
final class RepaintOffsetTests: XCTestCase {
    func testTheRepaintThenTheRestOfTheStreamDrawsWhatTheWholeStreamDraws() {
        // Every split, including inside escape sequences, a title (OSC) and a UTF-8 character.
        let stream = Array("prompt$ ls\r\n\u{1B}[1;34mdir\u{1B}[0m file é€😀\r\n\u{1B}]2;a title\u{07}\u{1B}[?1049h\u{1B}[?2004h\u{1B}[H\u{1B}[2Jfull screen\u{1B}[5;3Hhere".utf8)
        for split in 0...stream.count {
            let model = TerminalScreen(rows: 8, cols: 30)
            _ = model.feed(Array(stream[..<split]))
            let (repaint, fed) = model.repaintWithOffset()
            XCTAssertLessThanOrEqual(fed, UInt64(split))
            XCTAssertGreaterThanOrEqual(fed + 20, UInt64(split), "only an unfinished sequence is held back")
            XCTAssertEqual(model.fedBytes, UInt64(split))
            // The rest in two feeds: the model's own split points must not matter either.
            let middle = (split + stream.count) / 2
            _ = model.feed(Array(stream[split..<middle]))
            _ = model.feed(Array(stream[middle...]))

            let viewer = TerminalScreen(rows: 8, cols: 30)
            _ = viewer.feed(repaint)
            _ = viewer.feed(Array(stream[Int(fed)...]))
            XCTAssertEqual(viewer.snapshot(), model.snapshot(), "split at \(split): \(String(decoding: stream[..<split], as: UTF8.self).debugDescription)")
        }
    }

    func testTheModeResetUndoesWhatARepaintTurnedOn() {
        let model = TerminalScreen(rows: 5, cols: 20)
        _ = model.feed(Array("\u{1B}[?1049h\u{1B}[?2004h\u{1B}[?1h\u{1B}[?1002h\u{1B}[?25lbusy".utf8))
        let viewer = TerminalScreen(rows: 5, cols: 20)
        _ = viewer.feed(model.repaint())
        XCTAssertEqual(viewer.snapshot().modes, TerminalModes(bracketedPaste: true, applicationCursorKeys: true, mouse: "drag"))
        _ = viewer.feed(TerminalScreen.modeReset)
        let reset = viewer.snapshot()
        XCTAssertEqual(reset.modes, TerminalModes())
        XCTAssertFalse(reset.alternateScreen)
        XCTAssertTrue(reset.cursorVisible)
    }
}

extension RepaintOffsetTests {
    func testAStreamFedByteByByteRepaintsAtEveryOffset() {
        let stream = Array("a\u{1B}[31mé\u{1B}[?2004h€b\u{1B}[?1049hc".utf8)
        let model = TerminalScreen(rows: 4, cols: 10)
        for index in stream.indices {
            _ = model.feed([stream[index]])
            let (repaint, fed) = model.repaintWithOffset()
            let viewer = TerminalScreen(rows: 4, cols: 10)
            _ = viewer.feed(repaint)
            _ = viewer.feed(Array(stream[Int(fed)...]))
            let whole = TerminalScreen(rows: 4, cols: 10)
            _ = whole.feed(stream)
            XCTAssertEqual(viewer.snapshot(), whole.snapshot(), "after byte \(index)")
        }
    }
}

extension RepaintOffsetTests {
    func testACharacterSplitBetweenTwoFeedsIsDrawnOnce() {
        let stream = Array("file é€😀\r\nnext".utf8)
        let whole = TerminalScreen(rows: 3, cols: 20)
        _ = whole.feed(stream)
        XCTAssertEqual(whole.snapshot().lines, ["file é€😀", "next", ""])
        for split in stream.indices {
            let halves = TerminalScreen(rows: 3, cols: 20)
            _ = halves.feed(Array(stream[..<split]))
            _ = halves.feed(Array(stream[split...]))
            XCTAssertEqual(halves.snapshot().lines, whole.snapshot().lines, "split at \(split)")
        }
    }
}
