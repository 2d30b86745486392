import OverseerProfiles
import OverseerTerminal
import XCTest

/// The classifier's `readingTerminal` input: a program in cooked mode that blocks in `read()`
/// of its terminal (`cat`, a plain REPL) waits for input even when it draws nothing.
final class ReadingTerminalTests: XCTestCase {
    func observe(_ snapshot: ScreenSnapshot, reading: Bool, leftCooked: Bool = false, wasReady: Bool = false, exited: Bool = false, quiet: Double = 0.5) -> AgentObservation {
        AgentObservation(screen: snapshot, secondsSinceOutput: quiet, exited: exited, leftCookedMode: leftCooked, wasReady: wasReady, readingTerminal: reading)
    }

    func custom(_ rules: [RuleDefinition], ready: String) throws -> Profile {
        try ProfileCatalog(custom: ["t": ProfileDefinition(ready: ready, rules: rules)]).profile(named: "t")
    }

    func testABlankScreenWhoseProgramReadsTheTerminalIsIdle() throws {
        let generic = try ProfileCatalog.builtIn.profile(named: "generic")
        let waiting = AgentStateClassifier.classify(observe(screen([]), reading: true), profile: generic)
        XCTAssertEqual(waiting.state, .idle)
        XCTAssertTrue(waiting.ready, "reading the terminal is taking it, for cooked-mode readiness")
        XCTAssertNil(waiting.rule)
        XCTAssertNil(waiting.recheckAfterSeconds, "nothing to recheck: only new output can change it")
        XCTAssertTrue(waiting.reason.contains("blocked reading its terminal"), waiting.reason)
        XCTAssertTrue(waiting.explain.contains("reading the terminal: yes, ready: yes"), waiting.explain)

        let notYet = AgentStateClassifier.classify(observe(screen([]), reading: false), profile: generic)
        XCTAssertEqual(notYet.state, .starting, "the same blank screen without the read is still starting")
        XCTAssertTrue(notYet.explain.contains("reading the terminal: no, ready: no"), notYet.explain)
    }

    func testOnceReadyNotReadingFallsBackAndReadingAgainIsIdle() throws {
        let p = try custom([RuleDefinition(name: "never", state: "idle", contains: "zzz")], ready: "left_cooked_mode")
        XCTAssertEqual(AgentStateClassifier.classify(observe(screen(["output"]), reading: false, wasReady: true), profile: p).state, .working,
                       "a ready program that does not read is busy: the fallback")
        XCTAssertEqual(AgentStateClassifier.classify(observe(screen(["output"]), reading: true, wasReady: true), profile: p).state, .idle)
    }

    func testAMatchingRuleOutranksTheRead() throws {
        let p = try custom([RuleDefinition(name: "asks", state: "blocked", region: "cursor_line", contains: "[approve?]")], ready: "rule_or_left_cooked_mode")
        let verdict = AgentStateClassifier.classify(observe(screen(["run rm -rf build? [approve?] "]), reading: true), profile: p)
        XCTAssertEqual(verdict.state, .blocked, "a program asking a question also reads its terminal; the rule says which kind of wait")
        XCTAssertEqual(verdict.rule, "asks")
        XCTAssertEqual(verdict.evidence, ["row 0: run rm -rf build? [approve?] "])
    }

    func testRuleReadinessIsNotMetByAReadAlone() throws {
        let p = try custom([RuleDefinition(name: "prompt", state: "idle", contains: "ASK>")], ready: "rule")
        let verdict = AgentStateClassifier.classify(observe(screen(["loading"]), reading: true), profile: p)
        XCTAssertEqual(verdict.state, .starting, "a profile that wants its rule waits for it, whatever the program reads")
        XCTAssertFalse(verdict.ready)
    }

    func testExitWinsOverARead() throws {
        let generic = try ProfileCatalog.builtIn.profile(named: "generic")
        XCTAssertEqual(AgentStateClassifier.classify(observe(screen(["$ "]), reading: true, wasReady: true, exited: true), profile: generic).state, .exited)
    }
}

/// A program that has just taken the terminal and drawn a prompt a quiet rule will match stays
/// `starting` until the quiet time passes, instead of flashing the fallback state.
final class FirstReadinessTests: XCTestCase {
    func testAPromptWaitingForQuietKeepsStartingThenIdle() throws {
        let shell = try ProfileCatalog.builtIn.profile(named: "shell")
        let drawn = screen(["bash-5.2$ "])
        let early = AgentStateClassifier.classify(AgentObservation(screen: drawn, secondsSinceOutput: 0.1, leftCookedMode: true), profile: shell)
        XCTAssertEqual(early.state, .starting)
        XCTAssertFalse(early.ready)
        XCTAssertNotNil(early.recheckAfterSeconds, "rechecked when the quiet time is up")
        XCTAssertTrue(early.reason.contains("shell-prompt"), early.reason)
        let settled = AgentStateClassifier.classify(AgentObservation(screen: drawn, secondsSinceOutput: 0.6, leftCookedMode: true), profile: shell)
        XCTAssertEqual(settled.state, .idle)
        XCTAssertEqual(settled.rule, "shell-prompt")
    }

    func testOutputThatNeverSettlesIsReadyAfterTheSettleLimit() throws {
        let shell = try ProfileCatalog.builtIn.profile(named: "shell")
        let limit = AgentStateClassifier.settleLimit(shell)
        func classify(after seconds: Double) -> AgentStateVerdict {
            AgentStateClassifier.classify(AgentObservation(screen: screen(["bash-5.2$ "]), secondsSinceOutput: 0.1, leftCookedMode: true, secondsSinceLeftCookedMode: seconds), profile: shell)
        }
        XCTAssertEqual(classify(after: limit - 0.1).state, .starting)
        let late = classify(after: limit + 0.1)
        XCTAssertEqual(late.state, .working, "an animation at a prompt-shaped line must not keep it starting forever")
        XCTAssertTrue(late.ready)
    }

    func testOnceReadyTheQuietWindowIsTheFallbackAsBefore() throws {
        let shell = try ProfileCatalog.builtIn.profile(named: "shell")
        let verdict = AgentStateClassifier.classify(AgentObservation(screen: screen(["bash-5.2$ "]), secondsSinceOutput: 0.1, leftCookedMode: true, wasReady: true), profile: shell)
        XCTAssertEqual(verdict.state, .working, "output still coming from a ready program: busy")
    }
}
