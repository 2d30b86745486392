import OverseerProfiles
import OverseerTerminal
import XCTest

final class TypingPlanTests: XCTestCase {
    let catalog = ProfileCatalog.builtIn
    let pasting = TerminalModes(bracketedPaste: true)
    let plain = TerminalModes(bracketedPaste: false)

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testBracketedPasteWhenTheProgramEnabledIt() throws {
        let plan = TypingPlan.make(text: "fix the test", modes: pasting, profile: try catalog.profile(named: "codex"))
        XCTAssertTrue(plan.bracketedPaste)
        XCTAssertEqual(plan.steps, [.write(bytes("\u{1B}[200~fix the test\u{1B}[201~")), .pause(milliseconds: 300), .write([0x0D])])
        XCTAssertEqual(plan.settleMilliseconds, Profile.defaultSubmitDelayMs)
        XCTAssertEqual(plan.enterRetries, 3)
    }

    func testMultiLineStaysOnePasteWithUnifiedNewlinesAndNoTrailingNewline() throws {
        let plan = TypingPlan.make(text: "one\r\ntwo\rthree\n\n", modes: pasting, profile: try catalog.profile(named: "shell"))
        XCTAssertEqual(plan.textBytes, bytes("\u{1B}[200~one\ntwo\nthree\u{1B}[201~"))
    }

    func testEscapeInsideTheTextCannotEndThePaste() throws {
        let plan = TypingPlan.make(text: "a\u{1B}[201~b", modes: pasting, profile: try catalog.profile(named: "generic"))
        XCTAssertEqual(plan.textBytes, bytes("\u{1B}[200~a[201~b\u{1B}[201~"))
    }

    func testPlainTypingUsesTheProfilesNewline() throws {
        XCTAssertEqual(TypingPlan.make(text: "a\nb", modes: plain, profile: try catalog.profile(named: "generic")).textBytes, bytes("a\nb"))
        XCTAssertEqual(TypingPlan.make(text: "a\nb", modes: plain, profile: try catalog.profile(named: "aider")).textBytes, bytes("a\u{1B}\rb"))
        let spaced = try ProfileCatalog(custom: ["one-line": ProfileDefinition(newline: "space")]).profile(named: "one-line")
        XCTAssertEqual(TypingPlan.make(text: "a\nb", modes: plain, profile: spaced).textBytes, bytes("a b"))
        let cr = try ProfileCatalog(custom: ["cr": ProfileDefinition(newline: "cr")]).profile(named: "cr")
        XCTAssertEqual(TypingPlan.make(text: "a\nb", modes: plain, profile: cr).textBytes, bytes("a\rb"))
    }

    func testPythonIsTypedPlainEvenWithBracketedPasteOn() throws {
        let plan = TypingPlan.make(text: "x = 1\nprint(x)", modes: pasting, profile: try catalog.profile(named: "python"))
        XCTAssertFalse(plan.bracketedPaste)
        XCTAssertEqual(plan.textBytes, bytes("x = 1\nprint(x)"))
    }

    func testUnicodeIsSentAsUTF8() throws {
        let plan = TypingPlan.make(text: "héllo 日本 🚀", modes: plain, profile: try catalog.profile(named: "generic"))
        XCTAssertEqual(plan.textBytes, bytes("héllo 日本 🚀"))
    }

    func testSubmitDelayFromSpawnThenProfileThenDefault() throws {
        let codex = try catalog.profile(named: "codex")
        XCTAssertEqual(TypingPlan.make(text: "x", modes: pasting, profile: codex, submitDelayMs: 50).steps[1], .pause(milliseconds: 50))
        let slow = try ProfileCatalog(configTOML: "[profiles.codex]\nsubmit_delay_ms = 450\nenter_retries = 1\n").profile(named: "codex")
        let plan = TypingPlan.make(text: "x", modes: pasting, profile: slow)
        XCTAssertEqual(plan.steps[1], .pause(milliseconds: 450))
        XCTAssertEqual(plan.enterRetries, 1)
    }

    func testEmptyTextIsJustEnter() throws {
        let plan = TypingPlan.make(text: "\n", modes: pasting, profile: try catalog.profile(named: "codex"))
        XCTAssertEqual(plan.steps, [.write([0x0D])])
        XCTAssertFalse(plan.bracketedPaste)
    }

    func testEnterIsPressedAgainABoundedNumberOfTimes() throws {
        let plan = TypingPlan.make(text: "x", modes: pasting, profile: try catalog.profile(named: "codex"))
        XCTAssertEqual(plan.next(afterEnterPresses: 1, submitted: true), .done)
        XCTAssertEqual(plan.next(afterEnterPresses: 1, submitted: false), .pressEnterAgain)
        XCTAssertEqual(plan.next(afterEnterPresses: 3, submitted: false), .pressEnterAgain)
        XCTAssertEqual(plan.next(afterEnterPresses: 4, submitted: false), .giveUp(reason: "typed but not submitted"))
        XCTAssertEqual(plan.next(afterEnterPresses: 4, submitted: true), .done)
    }
}
