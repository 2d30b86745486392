import Foundation
import OverseerProfiles
import OverseerTerminal
import XCTest

final class ClassifierTests: XCTestCase {
    func profile(_ rules: [RuleDefinition], ready: String? = nil, fallback: String? = nil) throws -> Profile {
        let catalog = try ProfileCatalog(custom: ["test": ProfileDefinition(ready: ready, rules: rules, fallbackState: fallback)])
        return try catalog.profile(named: "test")
    }

    func classify(_ snapshot: ScreenSnapshot, _ profile: Profile, quiet: Double = 10, cooked: Bool = true, wasReady: Bool = false) -> AgentStateVerdict {
        AgentStateClassifier.classify(AgentObservation(screen: snapshot, secondsSinceOutput: quiet, leftCookedMode: cooked, wasReady: wasReady), profile: profile)
    }

    func testHighestPriorityWinsWhateverTheListingOrder() throws {
        let low = RuleDefinition(name: "low", state: "idle", priority: 1, contains: "ready")
        let high = RuleDefinition(name: "high", state: "blocked", priority: 9, contains: "approve")
        let snapshot = screen(["ready", "approve? [y/n]"])
        XCTAssertEqual(classify(snapshot, try profile([low, high])).rule, "high")
        XCTAssertEqual(classify(snapshot, try profile([high, low])).rule, "high")
        XCTAssertEqual(classify(screen(["ready"]), try profile([high, low])).rule, "low")
    }

    func testEqualPrioritiesGoToTheRuleListedFirst() throws {
        let first = RuleDefinition(name: "first", state: "idle", priority: 5, contains: "x")
        let second = RuleDefinition(name: "second", state: "working", priority: 5, contains: "x")
        let snapshot = screen(["x"])
        for _ in 0..<3 {
            XCTAssertEqual(classify(snapshot, try profile([first, second])).rule, "first")
            XCTAssertEqual(classify(snapshot, try profile([second, first])).rule, "second")
        }
    }

    func testRegionsLimitWhereRulesLook() throws {
        let rows = ["TOP banner", "middle", "", "bottom prompt>", "", ""]
        let snapshot = screen(rows, rows: 6, cursorRow: 3)
        func matches(_ region: String, _ literal: String, title: String? = nil) throws -> Bool {
            var shot = snapshot
            shot.title = title
            return classify(shot, try profile([RuleDefinition(name: "r", state: "idle", region: region, contains: literal)])).rule == "r"
        }
        XCTAssertTrue(try matches("screen", "TOP"))
        XCTAssertTrue(try matches("lines:0..0", "TOP"))
        XCTAssertFalse(try matches("lines:1..3", "TOP"))
        XCTAssertTrue(try matches("lines:-6..-5", "middle"), "negative indexes count from the bottom row")
        XCTAssertTrue(try matches("last_lines:1", "bottom"), "trailing blank rows are not content")
        XCTAssertFalse(try matches("last_lines:2", "middle"))
        XCTAssertTrue(try matches("last_lines:3", "middle"))
        XCTAssertTrue(try matches("cursor_line", "prompt>"))
        XCTAssertFalse(try matches("cursor_line", "middle"))
        XCTAssertTrue(try matches("title", "build", title: "vim build.log"))
        XCTAssertFalse(try matches("title", "build"))
    }

    func testRegexMatchesEachLineAndEvidenceListsEveryMatchedRow() throws {
        let rule = RuleDefinition(name: "errors", state: "blocked", regex: #"^error\[E\d+\]"#)
        let result = classify(screen(["error[E0308]: mismatched types", "  --> src/main.rs", "error[E0425]: not found"]), try profile([rule]))
        XCTAssertEqual(result.evidence, ["row 0: error[E0308]: mismatched types", "row 2: error[E0425]: not found"])
    }

    func testReadinessByRule() throws {
        let p = try profile([RuleDefinition(name: "prompt", state: "idle", region: "cursor_line", regex: "^> $|^>$")], ready: "rule")
        let early = classify(screen(["loading..."]), p, cooked: true)
        XCTAssertEqual(early.state, .starting)
        XCTAssertFalse(early.ready)
        let drawn = classify(screen([">"]), p, cooked: false)
        XCTAssertEqual(drawn.state, .idle)
        XCTAssertTrue(drawn.ready)
        let later = classify(screen(["thinking"]), p, wasReady: true)
        XCTAssertEqual(later.state, .working, "once ready, stays ready; no rule → fallback")
    }

    func testReadinessByCookedModeNeedsAScreenToo() throws {
        let p = try profile([RuleDefinition(name: "never", state: "idle", contains: "zzz")], ready: "left_cooked_mode")
        XCTAssertEqual(classify(screen(["some output"]), p, cooked: false).state, .starting, "a kernel echo proves nothing")
        XCTAssertEqual(classify(screen([]), p, cooked: true).state, .starting)
        XCTAssertEqual(classify(screen(["drawn"]), p, cooked: true).state, .working)
    }

    func testGenericReadinessEitherWay() throws {
        let generic = try ProfileCatalog.builtIn.profile(named: "generic")
        XCTAssertEqual(classify(screen(["booting"]), generic, cooked: false).state, .starting)
        XCTAssertEqual(classify(screen(["booting"]), generic, cooked: true).state, .working)
        XCTAssertEqual(classify(screen(["ptk> "]), generic, cooked: false).state, .idle, "cooked-mode programs (cat, python without readline) are ready at their prompt")
    }

    func testFallbackStateIsConfigurable() throws {
        let p = try profile([RuleDefinition(name: "never", state: "idle", contains: "zzz")], fallback: "idle")
        XCTAssertEqual(classify(screen(["anything"]), p).state, .idle)
        XCTAssertNil(classify(screen(["anything"]), p).rule)
    }

    func testExplainNamesRuleEvidenceAndInputs() throws {
        let codex = try ProfileCatalog.builtIn.profile(named: "codex")
        let snapshot = try ScreenFixtures.load("codex-blocked-80x24")
        let result = classify(snapshot, codex, quiet: 1.2)
        XCTAssertEqual(result.state, .blocked)
        let explain = result.explain
        XCTAssertTrue(explain.hasPrefix("state: blocked\nprofile: codex\nreason: rule approval-menu matched\n"), explain)
        XCTAssertTrue(explain.contains("rule: approval-menu (blocked, priority 100, last_lines:4, contains 'Press enter to confirm or esc to cancel')"), explain)
        XCTAssertTrue(explain.contains("evidence:\n  row 23: "), explain)
        XCTAssertTrue(explain.contains("also matched (lower priority): approval-question, title-action-required"), explain)
        XCTAssertTrue(explain.contains("inputs: output quiet for 1.2 s, left cooked mode: yes, reading the terminal: no, ready: yes"), explain)
    }

    func testSameInputSameVerdict() throws {
        let codex = try ProfileCatalog.builtIn.profile(named: "codex")
        let snapshot = try ScreenFixtures.load("codex-working-queued-120x40", cursorAfterLast: "›")
        let first = classify(snapshot, codex)
        for _ in 0..<5 { XCTAssertEqual(classify(snapshot, codex), first) }
    }
}

extension ClassifierTests {
    func testVerdictEncodesWithSnakeCaseKeys() throws {
        let shell = try ProfileCatalog.builtIn.profile(named: "shell")
        let verdict = classify(screen(["$ "]), shell, quiet: 0.2, wasReady: true)
        let json = String(decoding: try JSONEncoder().encode(verdict), as: UTF8.self)
        XCTAssertTrue(json.contains("\"recheck_after_seconds\":0.3"), json)
        XCTAssertTrue(json.contains("\"state\":\"working\""), json)
        XCTAssertEqual(try JSONDecoder().decode(AgentStateVerdict.self, from: Data(json.utf8)), verdict)
    }
}
