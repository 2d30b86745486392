import OverseerProfiles
import OverseerTerminal
import TOMLKit
import XCTest

final class ProfileTOMLTests: XCTestCase {
    /// The worked example of the README: a prompt_toolkit tool with an approval question,
    /// a busy title and a paste placeholder, built on generic.
    static let workedExample = #"""
    socket_path = "/run/overseer/overseer.sock"

    [profiles.mytool]
    extends = "generic"
    commands = ["mytool", "mytool-*"]
    submit_delay_ms = 400
    quiet_seconds = 1
    paste_placeholder = '\[Pasted text #\d+ \+\d+ lines\]'
    input_marker = '^mytool> '

    [[profiles.mytool.rules]]
    name = "asks-approval"
    state = "blocked"
    priority = 100
    region = "last_lines:5"
    regex = '(?i)approve\? \[y/n\]'

    [[profiles.mytool.rules]]
    name = "busy-title"
    state = "working"
    priority = 50
    region = "title"
    contains = "running"

    [[profiles.mytool.rules]]
    name = "prompt"
    state = "idle"
    priority = 10
    region = "cursor_line"
    regex = '^mytool> '
    require_quiet = true
    """#

    func testWorkedExampleDecodesAndClassifies() throws {
        let catalog = try ProfileCatalog(configTOML: Self.workedExample)
        let mytool = try catalog.profile(named: "mytool")
        XCTAssertEqual(mytool.bases, ["generic"])
        XCTAssertEqual(mytool.commands, ["mytool", "mytool-*"])
        XCTAssertEqual(mytool.submitDelayMs, 400)
        XCTAssertEqual(mytool.quietSeconds, 1)
        XCTAssertEqual(mytool.pastePlaceholder?.pattern, #"\[Pasted text #\d+ \+\d+ lines\]"#)
        XCTAssertEqual(mytool.rules.map(\.name), ["asks-approval", "busy-title", "yes-no-question", "prompt", "prompt-at-cursor", "cursor-after-prompt-char"],
                       "priority first; on a tie (prompt, prompt-at-cursor: 10) the derived profile's rule")
        XCTAssertEqual(mytool.rules.first?.region, .lastLines(5))
        XCTAssertEqual(catalog.detect(argv: ["/opt/bin/mytool-beta"]).name, "mytool")

        func state(_ snapshot: ScreenSnapshot, quiet: Double = 5) -> AgentStateVerdict {
            AgentStateClassifier.classify(AgentObservation(screen: snapshot, secondsSinceOutput: quiet, leftCookedMode: true, wasReady: true), profile: mytool)
        }
        XCTAssertEqual(state(screen(["mytool> "])).rule, "prompt")
        XCTAssertEqual(state(screen(["mytool> "]), quiet: 0.2).state, .working)
        XCTAssertEqual(state(screen(["mytool> "], title: "mytool: running tests")).rule, "busy-title")
        XCTAssertEqual(state(screen(["delete 3 files", "Approve? [y/N]"])).rule, "asks-approval")
    }

    func testOverridingABuiltInByItsNameKeepsItsRules() throws {
        let catalog = try ProfileCatalog(configTOML: """
        [profiles.codex]
        submit_delay_ms = 500
        """)
        let codex = try catalog.profile(named: "codex")
        XCTAssertEqual(codex.submitDelayMs, 500)
        XCTAssertEqual(codex.bases, ["codex"])
        XCTAssertEqual(codex.rules, ProfileCatalog.builtIn.profiles["codex"]?.rules)
    }

    func testDerivedRuleWithTheSameNameReplacesTheBaseRule() throws {
        let catalog = try ProfileCatalog(configTOML: """
        [profiles.quiet-shell]
        extends = "shell"
        [[profiles.quiet-shell.rules]]
        name = "shell-prompt"
        state = "idle"
        region = "cursor_line"
        regex = '^λ '
        """)
        let rules = try catalog.profile(named: "quiet-shell").rules
        XCTAssertEqual(rules.count, 1)
        XCTAssertEqual(rules[0].matcher, .regex(try ProfileRegex("^λ ")))
    }

    func testNoProfilesTableMeansBuiltInsOnly() throws {
        XCTAssertEqual(try ProfileCatalog(configTOML: "log_level = \"info\"\n").names, ProfileCatalog.builtIn.names)
    }

    func testDecodesFromAParsedTableAndThroughTOMLDecoder() throws {
        let root = try TOMLTable(string: Self.workedExample)
        let table = try XCTUnwrap(root["profiles"]?.table?["mytool"]?.table)
        let definition = try TOMLDecoder().decode(ProfileDefinition.self, from: table)
        XCTAssertEqual(definition.extends, "generic")
        XCTAssertEqual(definition.rules?.count, 3)
        XCTAssertEqual(definition.rules?[2].requireQuiet, true)
    }
}
