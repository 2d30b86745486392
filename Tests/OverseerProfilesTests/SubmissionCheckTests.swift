import OverseerProfiles
import OverseerTerminal
import XCTest

/// Typed/submitted checks on sequences of snapshots, real captured ones where they exist.
final class SubmissionCheckTests: XCTestCase {
    let catalog = ProfileCatalog.builtIn

    /// `snapshot` with the row starting `prefix` (the last one) replaced by `lines`, the cursor at the end of the last of them.
    func replacing(_ snapshot: ScreenSnapshot, rowStartingWith prefix: String, with lines: [String]) throws -> ScreenSnapshot {
        var copy = snapshot
        let row = try XCTUnwrap(ScreenFixtures.row(in: snapshot, startingWith: prefix))
        copy.lines.replaceSubrange(row...row, with: lines)
        copy.lines = Array(copy.lines.prefix(snapshot.rows))
        copy.cursorRow = row + lines.count - 1
        copy.cursorCol = lines.last?.count ?? 0
        return copy
    }

    // MARK: Codex (captured)

    func testCodexIdleTypedSubmitted() throws {
        let codex = try catalog.profile(named: "codex")
        let before = try ScreenFixtures.load("codex-idle-80x24", cursorAfterLast: "›")
        let check = SubmissionCheck(text: "first message", profile: codex, before: before)
        XCTAssertNil(check.typed(on: before))
        let typedScreen = try replacing(before, rowStartingWith: "›", with: ["› first message"])
        let typed = try XCTUnwrap(check.typed(on: typedScreen))
        XCTAssertEqual(typed.kind, .text)
        XCTAssertEqual(typed.lines, ["row 18: › first message"])
        XCTAssertNil(check.submitted(on: typedScreen, typed: typed), "still in the composer")
        // After Enter: the real screen of that turn (the message moved into the transcript).
        let after = try ScreenFixtures.load("codex-working-80x24", cursorAfterLast: "›")
        let submitted = try XCTUnwrap(check.submitted(on: after, typed: typed))
        XCTAssertEqual(submitted.kind, .inputCleared)
        XCTAssertEqual(submitted.lines.first, "row 12: › first message")
        XCTAssertTrue(submitted.lines.contains("row 21: › Improve documentation in @filename"), "\(submitted.lines)")
    }

    func testCodexEnterTakenAsNewlineIsNotSubmitted() throws {
        let codex = try catalog.profile(named: "codex")
        let before = try ScreenFixtures.load("codex-idle-80x24", cursorAfterLast: "›")
        let check = SubmissionCheck(text: "typed but not sent", profile: codex, before: before)
        let typedScreen = try ScreenFixtures.load("codex-typed-80x24", cursorAfterLast: "›")
        let typed = try XCTUnwrap(check.typed(on: typedScreen))
        // The paste-burst rule turned Enter into a newline: the composer grew a line, cursor on it.
        let newline = try replacing(typedScreen, rowStartingWith: "›", with: ["› typed but not sent", "  "])
        XCTAssertNil(check.submitted(on: newline, typed: typed))
        XCTAssertEqual(check.heldInInput(on: newline)?.lines, ["row 18: › typed but not sent"])
        let plan = TypingPlan.make(text: "typed but not sent", modes: TerminalModes(bracketedPaste: true), profile: codex)
        XCTAssertEqual(plan.next(afterEnterPresses: 1, submitted: check.submitted(on: newline, typed: typed) != nil), .pressEnterAgain)
    }

    func testCodexMessageQueuedWhileWorkingCountsAsSubmitted() throws {
        let codex = try catalog.profile(named: "codex")
        let before = try ScreenFixtures.load("codex-working-80x24", cursorAfterLast: "›")
        let check = SubmissionCheck(text: "typed while working", profile: codex, before: before)
        let typed = try XCTUnwrap(check.typed(on: ScreenFixtures.load("codex-working-typed-80x24", cursorAfterLast: "›")))
        let queued = try ScreenFixtures.load("codex-working-queued-80x24", cursorAfterLast: "›")
        let submitted = try XCTUnwrap(check.submitted(on: queued, typed: typed))
        XCTAssertTrue(submitted.lines.contains("row 19:   ↳ typed while working"), "\(submitted.lines)")
    }

    func testCodexMultiLinePasteShownVerbatim() throws {
        let codex = try catalog.profile(named: "codex")
        let before = try ScreenFixtures.load("codex-idle-120x40", cursorAfterLast: "›")
        let check = SubmissionCheck(text: "pasted line one\npasted line two\npasted line three", profile: codex, before: before)
        var pasted = try ScreenFixtures.load("codex-pasted-3-lines-120x40")
        let last = try XCTUnwrap(pasted.lines.lastIndex { $0.hasSuffix("pasted line three") })
        pasted.cursorRow = last
        pasted.cursorCol = pasted.lines[last].count
        let typed = try XCTUnwrap(check.typed(on: pasted))
        XCTAssertEqual(typed.lines.count, 3)
        XCTAssertNotNil(check.heldInInput(on: pasted))
    }

    func testCodexLargePasteShowsAsPlaceholder() throws {
        let codex = try catalog.profile(named: "codex")
        let text = (1...12).map { "line \($0) " + String(repeating: "x", count: 90) }.joined(separator: "\n")
        let before = try ScreenFixtures.load("codex-idle-80x24", cursorAfterLast: "›")
        let check = SubmissionCheck(text: text, profile: codex, before: before)
        let pasted = try ScreenFixtures.load("codex-pasted-large-80x24", cursorAfterLast: "›")
        let typed = try XCTUnwrap(check.typed(on: pasted))
        XCTAssertEqual(typed.kind, .placeholder)
        XCTAssertEqual(typed.lines, ["row 18: › [Pasted Content 1189 chars]"])
        XCTAssertEqual(check.heldInInput(on: pasted)?.kind, .placeholder)
        XCTAssertNil(check.submitted(on: pasted, typed: typed))
        XCTAssertNotNil(check.submitted(on: before, typed: typed), "composer back to its placeholder suggestion")
    }

    // MARK: bash, python, prompt_toolkit

    func testBashTypedThenSubmitted() throws {
        let shell = try catalog.profile(named: "shell")
        let before = try ScreenFixtures.load("bash-idle-80x24", cursorAfterLast: "$")
        let check = SubmissionCheck(text: "typed but not sent", profile: shell, before: before)
        XCTAssertNil(check.typed(on: before))
        let typedScreen = try ScreenFixtures.load("bash-typed-80x24", cursorAfterLast: "$")
        let typed = try XCTUnwrap(check.typed(on: typedScreen))
        XCTAssertEqual(typed.lines, ["row 0: $ typed but not sent"])
        XCTAssertNil(check.submitted(on: typedScreen, typed: typed))
        let ran = screen(["$ typed but not sent", "bash: typed: command not found", "$"])
        XCTAssertNotNil(check.submitted(on: ran, typed: typed))
        let running = screen(["$ typed but not sent", ""], cursorRow: 1, cursorCol: 0)
        XCTAssertNotNil(check.submitted(on: running, typed: typed), "a command still running has been submitted")
    }

    func testPromptToolkitAndPythonCaptured() throws {
        let generic = try catalog.profile(named: "generic")
        let ptkBefore = try ScreenFixtures.load("ptk-idle-120x40", cursorAfterLast: "ptk>")
        let ptk = SubmissionCheck(text: "typed but not sent", profile: generic, before: ptkBefore)
        let ptkTyped = try XCTUnwrap(ptk.typed(on: ScreenFixtures.load("ptk-typed-120x40", cursorAfterLast: "ptk>")))
        XCTAssertNotNil(ptk.submitted(on: screen(["ptk> typed but not sent", "reply 1: 18 chars", "ptk>"], rows: 40, cols: 120), typed: ptkTyped))

        let python = try catalog.profile(named: "python")
        let pyBefore = try ScreenFixtures.load("python-idle-80x24", cursorAfterLast: ">>>")
        let py = SubmissionCheck(text: "typed but not sent", profile: python, before: pyBefore)
        XCTAssertNotNil(py.typed(on: try ScreenFixtures.load("python-typed-80x24", cursorAfterLast: ">>>")))
    }

    func testMultiLineWithPromptsBetweenTheLines() throws {
        let python = try catalog.profile(named: "python")
        let before = screen([">>>"])
        let check = SubmissionCheck(text: "for i in range(2):\n    print(i)\n", profile: python, before: before)
        let during = screen([">>> for i in range(2):", "...     print(i)"])
        let typed = try XCTUnwrap(check.typed(on: during))
        XCTAssertEqual(typed.lines, ["row 0: >>> for i in range(2):", "row 1: ...     print(i)"])
        let after = screen([">>> for i in range(2):", "...     print(i)", "...", "0", "1", ">>>"])
        XCTAssertNotNil(check.submitted(on: after, typed: typed))
    }

    func testLongLineWrappedAcrossRows() throws {
        let shell = try catalog.profile(named: "shell")
        let words = (0..<100).map { "w\($0)" }.joined(separator: " ")
        let text = String((words + " " + words).prefix(600))
        XCTAssertEqual(text.count, 600)
        let line = "$ " + text
        var rows: [String] = []
        var rest = Substring(line)
        while !rest.isEmpty { rows.append(String(rest.prefix(80))); rest = rest.dropFirst(80) }
        XCTAssertEqual(rows.count, 8)
        let before = screen(["$"])
        let check = SubmissionCheck(text: text, profile: shell, before: before)
        let typed = try XCTUnwrap(check.typed(on: screen(rows)))
        XCTAssertEqual(typed.lines.count, 8)
        XCTAssertNil(check.submitted(on: screen(rows), typed: typed))
        XCTAssertNotNil(check.submitted(on: screen(rows + ["output", "$"]), typed: typed))
    }

    func testTextFillingItsLastRowExactlyIsStillInTheInput() throws {
        let shell = try catalog.profile(named: "shell")
        let text = String(repeating: "y", count: 78)
        let check = SubmissionCheck(text: text, profile: shell, before: screen(["$"]))
        // readline moved the cursor to column 0 of the next row after filling 80 columns.
        let wrapped = screen(["$ " + text, ""], cursorRow: 1, cursorCol: 0)
        let typed = try XCTUnwrap(check.typed(on: wrapped))
        XCTAssertNotNil(check.heldInInput(on: wrapped))
        XCTAssertNil(check.submitted(on: wrapped, typed: typed))
    }

    func testUnicodeWideCharactersAndNormalization() throws {
        let generic = try catalog.profile(named: "generic")
        let decomposed = "he\u{301}llo wo\u{308}rld — 日本語テキスト 🚀"
        let check = SubmissionCheck(text: decomposed, profile: generic, before: screen(["ptk>"]))
        let typed = try XCTUnwrap(check.typed(on: screen(["ptk> héllo wörld — 日本語テキスト 🚀"])))
        XCTAssertEqual(typed.kind, .text)
        // 40 wide characters fill 80 columns: the row is full, the cursor wraps to the next row.
        let wide = String(repeating: "字", count: 40)
        let wideCheck = SubmissionCheck(text: wide, profile: generic, before: screen(["ptk>"]))
        let wrapped = screen([wide, ""], cursorRow: 1, cursorCol: 0)
        XCTAssertNotNil(wideCheck.heldInInput(on: wrapped))
    }

    func testRepeatMessageAlreadyInTheTranscript() throws {
        let shell = try catalog.profile(named: "shell")
        let before = screen(["$ echo hi", "hi", "$"])
        let check = SubmissionCheck(text: "echo hi", profile: shell, before: before)
        XCTAssertNil(check.typed(on: before), "the old copy is not the new message")
        let typedScreen = screen(["$ echo hi", "hi", "$ echo hi"])
        let typed = try XCTUnwrap(check.typed(on: typedScreen))
        XCTAssertEqual(typed.lines, ["row 2: $ echo hi"])
        XCTAssertNil(check.submitted(on: typedScreen, typed: typed))
        XCTAssertNotNil(check.submitted(on: screen(["$ echo hi", "hi", "$ echo hi", "hi", "$"]), typed: typed))
        // The screen scrolled the old copy away while the new one was typed: same count, but now in the input.
        let scrolled = screen(["hi", "$ echo hi"])
        XCTAssertNotNil(check.typed(on: scrolled))
    }

    func testPlaceholderOfAPasteCollapsingProgram() throws {
        // Like paste_collapse_tui.py (fixtures) and Claude Code: `[Pasted text #K +N lines]`.
        let catalog = try ProfileCatalog(configTOML: #"""
        [profiles.collapse]
        extends = "generic"
        paste_placeholder = '\[Pasted text #\d+ \+\d+ lines\]'
        """#)
        let profile = try catalog.profile(named: "collapse")
        let before = screen(["sent 1: 20 chars", "> "])
        let check = SubmissionCheck(text: "alpha\nbeta\ngamma", profile: profile, before: before)
        let typedScreen = screen(["sent 1: 20 chars", "> [Pasted text #2 +3 lines]"])
        let typed = try XCTUnwrap(check.typed(on: typedScreen))
        XCTAssertEqual(typed.kind, .placeholder)
        XCTAssertNil(check.submitted(on: typedScreen, typed: typed))
        XCTAssertNotNil(check.submitted(on: screen(["sent 1: 20 chars", "> [Pasted text #2 +3 lines]", "sent 2: 16 chars", "> "]), typed: typed))
        XCTAssertNil(check.typed(on: before))
    }

    func testClaudeInputBoxWithHiddenCursor() throws {
        let claude = try catalog.profile(named: "claude")
        let box = { (content: String) in ["╭────────────────────────────╮", "│ > \(content)", "╰────────────────────────────╯", "  ? for shortcuts"] }
        var before = screen(["● Done."] + box(""), cursorRow: 4, cursorCol: 0)
        before.cursorVisible = false
        let check = SubmissionCheck(text: "run the tests", profile: claude, before: before)
        var typedScreen = screen(["● Done."] + box("run the tests"), cursorRow: 4, cursorCol: 0)
        typedScreen.cursorVisible = false
        let typed = try XCTUnwrap(check.typed(on: typedScreen))
        XCTAssertNil(check.submitted(on: typedScreen, typed: typed))
        var after = screen(["● Done.", "> run the tests", "", "✻ Thinking… (esc to interrupt)"] + box(""))
        after.cursorVisible = false
        XCTAssertNotNil(check.submitted(on: after, typed: typed))
    }

    func testBoxComposerWithEnterAsNewlineUnderGeneric() throws {
        // Like paste_burst_tui.py: a `│ › text │` box, Enter inside the burst became a newline.
        let generic = try catalog.profile(named: "generic")
        let check = SubmissionCheck(text: "fast message", profile: generic, before: screen(["╭──────────────────╮", "│ ›                │", "╰──────────────────╯"], cursorRow: 1, cursorCol: 4))
        let stuck = screen(["╭──────────────────╮", "│ › fast message   │", "│                  │", "╰──────────────────╯"], cursorRow: 2, cursorCol: 2)
        let typed = try XCTUnwrap(check.typed(on: stuck))
        XCTAssertNil(check.submitted(on: stuck, typed: typed))
        let sent = screen(["› fast message", "╭──────────────────╮", "│ ›                │", "╰──────────────────╯"], cursorRow: 2, cursorCol: 4)
        XCTAssertNotNil(check.submitted(on: sent, typed: typed))
    }

    func testNothingVisibleCannotVerify() throws {
        let check = SubmissionCheck(text: " \n\t", profile: try catalog.profile(named: "shell"), before: screen(["$"]))
        XCTAssertFalse(check.canVerify)
        XCTAssertNil(check.typed(on: screen(["$  "])))
    }
}
