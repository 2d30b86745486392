import OverseerProfiles
import OverseerTerminal
import XCTest

/// Each built-in profile on real captured screens (Codex, bash, python, prompt_toolkit) and,
/// for the programs that cannot run here, on screens written like theirs.
final class BuiltInProfileTests: XCTestCase {
    let catalog = ProfileCatalog.builtIn

    func verdict(_ profile: String, _ snapshot: ScreenSnapshot, quiet: Double = 10, cooked: Bool = true, wasReady: Bool = false) throws -> AgentStateVerdict {
        let observation = AgentObservation(screen: snapshot, secondsSinceOutput: quiet, leftCookedMode: cooked, wasReady: wasReady)
        return AgentStateClassifier.classify(observation, profile: try catalog.profile(named: profile))
    }

    func assertState(_ profile: String, _ snapshot: ScreenSnapshot, _ state: AgentState, rule: String?, quiet: Double = 10, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try verdict(profile, snapshot, quiet: quiet)
        XCTAssertEqual(result.state, state, result.explain, file: file, line: line)
        XCTAssertEqual(result.rule, rule, result.explain, file: file, line: line)
        if rule != nil { XCTAssertFalse(result.evidence.isEmpty, file: file, line: line) }
    }

    // MARK: Codex (captured, 0.147.0)

    func testCodexCapturedStatesAtBothSizes() throws {
        for size in ["80x24", "120x40"] {
            try assertState("codex", ScreenFixtures.load("codex-idle-\(size)", cursorAfterLast: "›"), .idle, rule: "composer")
            try assertState("codex", ScreenFixtures.load("codex-typed-\(size)", cursorAfterLast: "›"), .idle, rule: "composer")
            try assertState("codex", ScreenFixtures.load("codex-answered-\(size)", cursorAfterLast: "›"), .idle, rule: "composer")
            try assertState("codex", ScreenFixtures.load("codex-pasted-large-\(size)", cursorAfterLast: "›"), .idle, rule: "composer")
            try assertState("codex", ScreenFixtures.load("codex-working-\(size)", cursorAfterLast: "›"), .working, rule: "turn-running")
            try assertState("codex", ScreenFixtures.load("codex-working-typed-\(size)", cursorAfterLast: "›"), .working, rule: "turn-running")
            try assertState("codex", ScreenFixtures.load("codex-working-queued-\(size)", cursorAfterLast: "›"), .working, rule: "turn-running")
            try assertState("codex", ScreenFixtures.load("codex-blocked-\(size)"), .blocked, rule: "approval-menu")
        }
    }

    func testCodexEvidenceIsTheMatchedRows() throws {
        let working = try verdict("codex", ScreenFixtures.load("codex-working-80x24", cursorAfterLast: "›"))
        XCTAssertEqual(working.evidence, ["row 18: • Working (1s • esc to interrupt)"])
        let blocked = try verdict("codex", ScreenFixtures.load("codex-blocked-80x24"))
        XCTAssertEqual(blocked.evidence.count, 1)
        XCTAssertTrue(blocked.evidence[0].hasSuffix("Press enter to confirm or esc to cancel"), blocked.explain)
    }

    func testCodexTitleAloneTellsWorkingAndBlocked() throws {
        let spinner = screen(["some transcript line"], title: "⠸ work")
        try assertState("codex", spinner, .working, rule: "title-spinner")
        let approval = screen(["some transcript line"], title: "[ ! ] Action Required | work")
        try assertState("codex", approval, .blocked, rule: "title-action-required")
    }

    func testCodexIsStartingUntilItDrawsItsComposer() throws {
        let warningOnly = screen([
            "⚠ Codex could not find bubblewrap on PATH. Install bubblewrap with your OS",
            "  package manager. See the sandbox prerequisites:",
        ])
        let result = try verdict("codex", warningOnly, cooked: true)
        XCTAssertEqual(result.state, .starting, result.explain)
        XCTAssertFalse(result.ready)
        let blank = try verdict("codex", screen([]), cooked: true)
        XCTAssertEqual(blank.state, .starting)
    }

    func testCodexComposerPlaceholderInTranscriptIsNotIdleWhileATurnRuns() throws {
        // The `›` rows of past messages stay on screen during a turn: working must win.
        let snapshot = try ScreenFixtures.load("codex-working-80x24", cursorAfterLast: "›")
        let result = try verdict("codex", snapshot)
        XCTAssertEqual(result.state, .working)
        XCTAssertTrue(result.explain.contains("also matched (lower priority): title-spinner, composer"), result.explain)
    }

    // MARK: bash, python, prompt_toolkit (captured)

    func testShellCapturedPrompts() throws {
        for name in ["bash-idle-80x24", "bash-typed-80x24", "bash-idle-120x40", "bash-typed-120x40"] {
            try assertState("shell", ScreenFixtures.load(name, cursorAfterLast: "$"), .idle, rule: "shell-prompt")
        }
    }

    func testShellCommonPromptForms() throws {
        for prompt in ["bash-5.2$ ", "bash-5.2# ", "user@host:~/src$ ", "[user@host src]$ ", "(venv) user@host:~$ ", "host% ", "> "] {
            try assertState("shell", screen(["earlier output", prompt]), .idle, rule: "shell-prompt")
        }
    }

    func testShellRunningCommandIsWorking() throws {
        // `sleep 30` was entered: the cursor waits on the blank row below the command.
        let running = screen(["$ sleep 30", ""], cursorRow: 1, cursorCol: 0)
        try assertState("shell", running, .working, rule: nil)
        let printing = screen(["$ make", "cc -c main.c", "cc -o app main.o"])
        try assertState("shell", printing, .working, rule: nil)
    }

    func testShellPromptWaitsForQuietOutput() throws {
        let prompt = screen(["$ "])
        let busy = try verdict("shell", prompt, quiet: 0.1, wasReady: true)
        XCTAssertEqual(busy.state, .working, busy.explain)
        XCTAssertEqual(try verdict("shell", prompt, quiet: 0.1).state, .starting, "before its first readiness it is still settling")
        XCTAssertEqual(try XCTUnwrap(busy.recheckAfterSeconds), 0.4, accuracy: 1e-9)
        XCTAssertTrue(busy.explain.contains("waiting for 0.5 s of quiet output: shell-prompt"), busy.explain)
        XCTAssertEqual(try verdict("shell", prompt, quiet: 0.6).state, .idle)
    }

    func testPythonCapturedPrompts() throws {
        for name in ["python-idle-80x24", "python-typed-80x24", "python-idle-120x40", "python-typed-120x40"] {
            try assertState("python", ScreenFixtures.load(name, cursorAfterLast: ">>>"), .idle, rule: "repl-prompt")
        }
        try assertState("python", screen([">>> for i in range(3):", "... "]), .idle, rule: "repl-prompt")
        try assertState("python", screen([">>> import time; time.sleep(9)", ""], cursorRow: 1, cursorCol: 0), .working, rule: nil)
    }

    func testGenericOnCapturedPromptToolkitAndOtherPrompts() throws {
        for name in ["ptk-idle-80x24", "ptk-typed-80x24", "ptk-idle-120x40", "ptk-typed-120x40"] {
            try assertState("generic", ScreenFixtures.load(name, cursorAfterLast: "ptk>"), .idle, rule: "prompt-at-cursor")
        }
        try assertState("generic", ScreenFixtures.load("bash-idle-80x24", cursorAfterLast: "$"), .idle, rule: "prompt-at-cursor")
        try assertState("generic", ScreenFixtures.load("python-idle-80x24", cursorAfterLast: ">>>"), .idle, rule: "prompt-at-cursor")
        try assertState("generic", screen(["Enter your name:"]), .idle, rule: "cursor-after-prompt-char")
        try assertState("generic", screen(["Overwrite existing file? [y/N]"]), .blocked, rule: "yes-no-question")
        try assertState("generic", screen(["compiling 3 of 40 files"]), .working, rule: nil)
    }

    func testGenericNeedsQuietBeforeIdle() throws {
        let prompt = try ScreenFixtures.load("ptk-idle-80x24", cursorAfterLast: "ptk>")
        XCTAssertEqual(try verdict("generic", prompt, quiet: 0.5, wasReady: true).state, .working)
        XCTAssertEqual(try verdict("generic", prompt, quiet: 2.0).state, .idle)
    }

    // MARK: Claude Code, Gemini CLI, aider (written like their well-known screens)

    func testClaudeCodeScreens() throws {
        let box = ["╭──────────────────────────────────────────╮", "│ > fix the failing test                   │", "╰──────────────────────────────────────────╯", "  ? for shortcuts"]
        try assertState("claude", screen(["● Done."] + box, cursorRow: 2, cursorCol: 24), .idle, rule: "input-box")
        let ruled = ["────────────────────────────────────────", "> ", "────────────────────────────────────────", "  ? for shortcuts"]
        try assertState("claude", screen(ruled, cursorRow: 1, cursorCol: 2), .idle, rule: "input-box")
        try assertState("claude", screen(["✻ Thinking… (12s · ↑ 1.2k tokens · esc to interrupt)", ""] + box), .working, rule: "turn-running")
        let dialog = ["Bash command", "  rm -rf build", "Do you want to proceed?", "❯ 1. Yes", "  2. Yes, and don't ask again for rm commands", "  3. No, and tell Claude what to do differently (esc)"]
        try assertState("claude", screen(dialog), .blocked, rule: "permission-dialog")
    }

    func testGeminiCLIScreens() throws {
        let box = ["╭────────────────────────────────────────────╮", "│ >   Type your message or @path/to/file     │", "╰────────────────────────────────────────────╯", "~/src (main*)      no sandbox      gemini-2.5-pro (100% context left)"]
        try assertState("gemini", screen(box, cursorRow: 1, cursorCol: 4), .idle, rule: "input-box")
        try assertState("gemini", screen(["⠏ Thinking about the codebase (esc to cancel, 5s)", ""] + box), .working, rule: "turn-running")
        let confirm = ["╭──────────────────────────────╮", "│ ? Shell ls -la               │", "│ Allow execution of: 'ls'?    │", "│ ● 1. Yes, allow once         │", "╰──────────────────────────────╯"]
        try assertState("gemini", screen(confirm), .blocked, rule: "tool-confirmation")
    }

    func testAiderScreens() throws {
        let header = ["Aider v0.86.1", "Main model: gpt-4o with diff edit format", "Git repo: .git with 12 files", "──────────────────────────────────────"]
        try assertState("aider", screen(header + ["README.md", "> "]), .idle, rule: "aider-prompt")
        try assertState("aider", screen(header + ["architect> "]), .idle, rule: "aider-prompt")
        try assertState("aider", screen(header + ["> add tests", "", "░█        Waiting for gpt-4o"]), .working, rule: "waiting-for-model")
        try assertState("aider", screen(header + ["Add tests/test_app.py to the chat? (Y)es/(N)o/(D)on't ask again [Yes]: "]), .blocked, rule: "confirmation")
    }

    func testExitedWinsOverEverything() throws {
        let snapshot = try ScreenFixtures.load("codex-blocked-80x24")
        let observation = AgentObservation(screen: snapshot, secondsSinceOutput: 0, exited: true, leftCookedMode: true, wasReady: true)
        let result = AgentStateClassifier.classify(observation, profile: try catalog.profile(named: "codex"))
        XCTAssertEqual(result.state, .exited)
        XCTAssertNil(result.rule)
    }
}
