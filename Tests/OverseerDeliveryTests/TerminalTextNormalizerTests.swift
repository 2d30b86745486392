import XCTest

import OverseerDelivery

final class TerminalTextNormalizerTests: XCTestCase {
    /// Normalizes `bytes` fed in chunks of `size` bytes.
    private func normalized(_ bytes: [UInt8], chunk size: Int) -> String {
        var normalizer = TerminalTextNormalizer()
        var output = ""
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            output += normalizer.feed(bytes[start..<end])
            start = end
        }
        return output
    }

    /// Asserts that `input` normalizes to `expected` whole, byte by byte, and in chunks of 2, 3 and 5.
    private func assertNormalizes(
        _ input: [UInt8], to expected: String, _ note: String = "", file: StaticString = #filePath, line: UInt = #line
    ) {
        for size in [input.count + 1, 1, 2, 3, 5] {
            XCTAssertEqual(normalized(input, chunk: size), expected, "chunks of \(size) \(note)", file: file, line: line)
        }
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testPlainTextPassesThrough() {
        assertNormalizes(bytes("hello, world"), to: "hello, world")
    }

    func testCSISequencesAreRemovedWhereverTheChunksSplitThem() {
        assertNormalizes(bytes("\u{1B}[1;31mred\u{1B}[0m \u{1B}[38;2;255;128;0mtrue\u{1B}[m"), to: "red true")
        assertNormalizes(bytes("a\u{1B}[2Kb\u{1B}[?25lc\u{1B}[?2004hd"), to: "abcd")
    }

    func testBracketedPasteMarkersAreRemoved() {
        assertNormalizes(bytes("\u{1B}[200~pasted text\u{1B}[201~"), to: "pasted text")
    }

    func testOSCTitlesEndedByBELOrSTAreRemoved() {
        assertNormalizes(bytes("\u{1B}]0;my title\u{07}before\u{1B}]2;other ☃ title\u{1B}\\after"), to: "beforeafter")
        assertNormalizes(bytes("\u{1B}]8;;https://example.com\u{1B}\\link\u{1B}]8;;\u{1B}\\"), to: "link")
    }

    func testDCSAPCPMAndSOSStringsAreRemoved() {
        assertNormalizes(bytes("a\u{1B}P1$r0m\u{1B}\\b\u{1B}_apc data\u{1B}\\c\u{1B}^pm\u{1B}\\d\u{1B}Xsos\u{1B}\\e"), to: "abcde")
    }

    func testTwoByteAndIntermediateEscapesAreRemoved() {
        assertNormalizes(bytes("\u{1B}7saved\u{1B}8 \u{1B}(Bascii\u{1B}=\u{1B}>\u{1B}Mx"), to: "saved asciix")
        assertNormalizes(bytes("\u{1B}OAup"), to: "up")
    }

    func testEightBitC1SequencesAreRemovedButUTF8ContinuationBytesAreNot() {
        // 0x9B is a C1 CSI on its own, but the second byte of "Û" (C3 9B) inside UTF-8.
        assertNormalizes([0x61, 0x9B, 0x33, 0x31, 0x6D, 0x62], to: "ab")
        assertNormalizes([0x9D] + bytes("0;title") + [0x9C] + bytes("x"), to: "x")
        assertNormalizes(bytes("ÛÜ"), to: "ÛÜ")
        assertNormalizes(bytes("a\u{9B}1mb"), to: "ab")
    }

    func testControlCharactersAreRemovedAndWhitespaceRunsFolded() {
        assertNormalizes(bytes("a\u{07}b\u{08}c\u{00}d"), to: "abcd")
        assertNormalizes(bytes("one  \t two\r\n\r\nthree \r four"), to: "one two three four")
        assertNormalizes(bytes("x\u{1B}[1m \u{1B}[0m \ty"), to: "x y")
        assertNormalizes(bytes("non\u{00A0}breaking"), to: "non breaking")
    }

    func testUTF8SplitAcrossChunksIsDecodedOnce() {
        let text = "naïve — 日本語 🎉"
        assertNormalizes(bytes(text), to: text)
    }

    func testInvalidUTF8BecomesReplacementCharacters() {
        assertNormalizes([0x61, 0xC3, 0x28, 0x62, 0xFF, 0x63], to: "a\u{FFFD}(b\u{FFFD}c")
        assertNormalizes([0xF0, 0x9F, 0x98, 0x7A], to: "\u{FFFD}z", "a truncated sequence is one error")
        assertNormalizes([0xC0, 0xAF, 0x7A], to: "\u{FFFD}\u{FFFD}z", "overlong forms are errors")
        // E0 needs A0–BF next: 0x80 ends the sequence and, standing alone, is a C1 control.
        assertNormalizes([0xE0, 0x80, 0x80, 0x7A], to: "\u{FFFD}z")
    }

    func testCancelAbortsASequenceAndEscapeRestartsOne() {
        assertNormalizes(bytes("\u{1B}[12\u{18}ok"), to: "ok")
        assertNormalizes(bytes("\u{1B}[12\u{1B}[0mok"), to: "ok")
        assertNormalizes(bytes("\u{1B}]0;unterminated\u{1B}[1mvisible"), to: "visible")
    }

    func testStateCarriesAcrossFeedCalls() {
        var normalizer = TerminalTextNormalizer()
        XCTAssertEqual(normalizer.feed(bytes("ab\u{1B}]0;ti")), "ab")
        XCTAssertEqual(normalizer.feed(bytes("tle")), "")
        XCTAssertEqual(normalizer.feed(bytes("\u{07}cd")), "cd")
        XCTAssertEqual(normalizer.feed([0xE2, 0x82]), "")
        XCTAssertEqual(normalizer.feed([0xAC]), "€")
    }

    func testNormalizeTrimsTheEnds() {
        XCTAssertEqual(TerminalTextNormalizer.normalize("  \r\nhello \u{1B}[1mworld\u{1B}[0m \n"), "hello world")
        XCTAssertEqual(TerminalTextNormalizer.normalize(" \t\r\n"), "")
    }
}
