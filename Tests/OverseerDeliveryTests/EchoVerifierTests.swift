import XCTest

import OverseerDelivery

final class EchoVerifierTests: XCTestCase {
    /// Feeds `output` in chunks of `size` bytes; returns the result of the last feed and whether
    /// any feed before the last one already reported the match.
    private func verify(_ text: String, _ output: [UInt8], chunk size: Int) -> (verified: Bool, early: Bool) {
        let verifier = EchoVerifier(text: text)
        var start = 0
        var early = false
        var last = false
        while start < output.count {
            let end = min(start + size, output.count)
            last = verifier.feed(output[start..<end])
            if last && end < output.count { early = true }
            start = end
        }
        return (last, early)
    }

    private func assertVerifies(_ text: String, _ output: String, _ expected: Bool, file: StaticString = #filePath, line: UInt = #line) {
        assertVerifies(text, Array(output.utf8), expected, file: file, line: line)
    }

    private func assertVerifies(_ text: String, _ output: [UInt8], _ expected: Bool, file: StaticString = #filePath, line: UInt = #line) {
        for size in [output.count + 1, 1, 2, 7] {
            XCTAssertEqual(verify(text, output, chunk: size).verified, expected, "chunks of \(size)", file: file, line: line)
        }
    }

    func testPlainEchoVerifies() {
        assertVerifies("run the tests", "$ run the tests", true)
    }

    func testReadlineWrapsInsideAWordStillMatch() {
        assertVerifies("abcdef", "abc \rdef", true)
        assertVerifies("abcdef", "abc\r\ndef", true)
        assertVerifies("please fix the failing build", "> please fix the fail \ring build", true)
    }

    func testEscapeSequencesBetweenAndInsideTheEchoAreIgnored() {
        assertVerifies("fix the bug", "\u{1B}[200~\u{1B}[1mfix\u{1B}[0m the \u{1B}]0;title\u{07}bug\u{1B}[201~", true)
        assertVerifies("hello", "\u{1B}[38;5;208mhel\u{1B}[0m\u{1B}[38;5;208mlo\u{1B}[0m", true)
    }

    func testEscapeSequencesSplitByteByByteStillMatch() {
        let output = Array("\u{1B}]0;agent\u{1B}\\x\u{1B}[31mde\u{1B}[39;49my".utf8)
        XCTAssertTrue(verify("xdey", output, chunk: 1).verified)
        XCTAssertFalse(verify("xy", output, chunk: 1).verified, "d and e stand between x and y")
        XCTAssertFalse(verify("agent", output, chunk: 1).verified, "a title is not echoed text")
    }

    func testMultiByteUTF8SplitAcrossChunksMatches() {
        assertVerifies("café ☕ 日本", "> café ☕ 日本", true)
        let output = Array("écrit: naïve".utf8)
        for split in 1..<output.count {
            let verifier = EchoVerifier(text: "naïve")
            XCTAssertFalse(verifier.feed(output[..<split]), "split \(split)")
            XCTAssertTrue(verifier.feed(output[split...]), "split \(split)")
        }
    }

    func testPartialEchoDoesNotVerify() {
        assertVerifies("run the whole suite", "run the whole sui", false)
        assertVerifies("run the whole suite", "un the whole suite", false)
        assertVerifies("abc", "ab\u{1B}[1mX\u{1B}[0mc", false)
    }

    func testTheMatchIsReportedAsSoonAsTheLastCharacterArrivesAndLatches() {
        let verifier = EchoVerifier(text: "go")
        XCTAssertFalse(verifier.feed(Array("prompt> g".utf8)))
        XCTAssertTrue(verifier.feed(Array("o".utf8)))
        XCTAssertTrue(verifier.isVerified)
        XCTAssertTrue(verifier.feed(Array("anything else".utf8)))
    }

    func testOverlappingPrefixesAreFoundAfterAFalseStart() {
        assertVerifies("aab", "aaab", true)
        assertVerifies("abab", "abaabab", true)
        assertVerifies("abcabd", "abcabcabd", true)
    }

    func testTextWithControlsAndExtraWhitespaceMatchesItsVisibleCharacters() {
        let verifier = EchoVerifier(text: "  line one\n\tline two\r")
        XCTAssertEqual(verifier.expected, "lineonelinetwo")
        XCTAssertTrue(verifier.feed(Array("line one\r\nline two".utf8)))
    }

    func testEmptyOrWhitespaceOnlyTextCanNeverVerify() {
        for text in ["", "   ", "\r\n\t", "\u{1B}[1m"] {
            let verifier = EchoVerifier(text: text)
            XCTAssertFalse(verifier.canVerify, "\(text.debugDescription)")
            XCTAssertFalse(verifier.feed(Array("   \r\n anything".utf8)), "\(text.debugDescription)")
            XCTAssertFalse(verifier.isVerified)
        }
    }
}
