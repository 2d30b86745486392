import OverseerDisplay
import XCTest

final class TerminalSafeTests: XCTestCase {
    /// Nothing a terminal acts on survives: C0, DEL, C1 (8-bit CSI/OSC), bidi overrides.
    func testEveryControlCharacterIsEscaped() {
        for value in Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F) + [0x2028, 0x2029, 0x202A, 0x202E, 0x2066, 0x2069, 0xFEFF] {
            let scalar = Unicode.Scalar(UInt32(value))!
            let escaped = TerminalSafe.escape("a\(Character(scalar))b")
            XCTAssertFalse(escaped.unicodeScalars.contains(scalar), "U+\(String(value, radix: 16)) kept raw: \(escaped.debugDescription)")
            XCTAssertTrue(escaped.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "\(escaped.debugDescription)")
            XCTAssertTrue(escaped.hasPrefix("a\\") && escaped.hasSuffix("b"), escaped)
        }
    }

    func testEscapeSequencesAreDefused() {
        // A title change, a screen clear and a colour, as an agent could put into its argv.
        let hostile = "\u{1B}]0;owned\u{07}\u{1B}[2J\u{1B}[31mred\u{9B}31m"
        XCTAssertEqual(TerminalSafe.escape(hostile), #"\e]0;owned\x07\e[2J\e[31mred\u{9b}31m"#)
        XCTAssertEqual(TerminalSafe.escape("tab\there\nnew\rline\u{0}nul\u{7F}"), #"tab\there\nnew\rline\x00nul\x7f"#)
    }

    func testPlainTextIsUntouchedAndEscapesCannotBeFaked() {
        XCTAssertEqual(TerminalSafe.escape("perl -e sleep --agent-name w1"), "perl -e sleep --agent-name w1")
        XCTAssertEqual(TerminalSafe.escape("café 日本 🚀"), "café 日本 🚀")
        // A literal backslash-e in the input is not the escape of ESC.
        XCTAssertEqual(TerminalSafe.escape(#"\e"#), #"\\e"#)
        XCTAssertNotEqual(TerminalSafe.escape(#"\e"#), TerminalSafe.escape("\u{1B}"))
    }

    func testCommandLinesAndNewlinePolicy() {
        XCTAssertEqual(TerminalSafe.commandLine(["sh", "-c", "echo\u{1B}[H x"]), #"sh -c echo\e[H x"#)
        XCTAssertEqual(TerminalSafe.escape("line one\nline\u{1B}two", keepingNewlines: true), "line one\nline\\etwo")
    }
}
