import OverseerProfiles
import XCTest

/// Bad profiles are refused with an error naming the profile and the field.
final class ProfileErrorTests: XCTestCase {
    func error(_ toml: String, file: StaticString = #filePath, line: UInt = #line) -> ProfileError? {
        do {
            _ = try ProfileCatalog(configTOML: toml)
            XCTFail("accepted:\n\(toml)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func rule(_ body: String) -> String {
        "[profiles.bad]\n[[profiles.bad.rules]]\nname = \"r\"\n\(body)\n"
    }

    func testUnknownState() {
        let failure = error(rule("state = \"thinking\"\ncontains = \"x\""))
        XCTAssertEqual(failure, .unknownState(profile: "bad", field: "rules[0].state (rule 'r')", value: "thinking"))
        XCTAssertEqual(failure?.description, "profile 'bad': rules[0].state (rule 'r'): unknown state 'thinking' (expected idle, working or blocked)")
        XCTAssertEqual(error("[profiles.bad]\nfallback_state = \"exited\"\n"), .unknownState(profile: "bad", field: "fallback_state", value: "exited"))
    }

    func testBadRegexCarriesTheRegexError() {
        XCTAssertEqual(error(rule("state = \"idle\"\nregex = 'a(b'")),
                       .badRegex(profile: "bad", field: "rules[0].regex (rule 'r')", pattern: "a(b", reason: "expected ')'"))
        XCTAssertEqual(error("[profiles.bad]\npaste_placeholder = '[Pasted'\n"),
                       .badRegex(profile: "bad", field: "paste_placeholder", pattern: "[Pasted", reason: "expected ']'"))
        let failure = error("[profiles.bad]\ninput_marker = 'x{2,1}'\n")
        XCTAssertEqual(failure?.description, "profile 'bad': input_marker: bad regex 'x{2,1}': range lower bound '2' must be less than or equal to upper bound '1'")
    }

    func testUnknownRegion() {
        for region in ["bottom", "last_lines:0", "last_lines:x", "lines:3", "lines:1...4"] {
            XCTAssertEqual(error(rule("state = \"idle\"\nregion = \"\(region)\"\ncontains = \"x\"")),
                           .unknownRegion(profile: "bad", field: "rules[0].region (rule 'r')", value: region), region)
        }
    }

    func testUnknownBaseProfileAndCycles() {
        XCTAssertEqual(error("[profiles.bad]\nextends = \"gneric\"\n"), .unknownBaseProfile(profile: "bad", base: "gneric"))
        XCTAssertEqual(error("[profiles.a]\nextends = \"b\"\n[profiles.b]\nextends = \"a\"\n"), .extendsCycle(chain: ["a", "b", "a"]))
        XCTAssertEqual(error("[profiles.a]\nextends = \"a\"\n"), .unknownBaseProfile(profile: "a", base: "a"))
    }

    func testRuleNeedsExactlyOneMatcherAndAName() {
        XCTAssertEqual(error(rule("state = \"idle\"")), .missingField(profile: "bad", field: "rules[0].regex or rules[0].contains (rule 'r')"))
        XCTAssertEqual(error(rule("state = \"idle\"\nregex = 'x'\ncontains = 'x'")),
                       .invalidValue(profile: "bad", field: "rules[0] (rule 'r')", value: "both regex and contains", expected: "exactly one of regex, contains"))
        XCTAssertEqual(error("[profiles.bad]\n[[profiles.bad.rules]]\nstate = \"idle\"\ncontains = \"x\"\n"), .missingField(profile: "bad", field: "rules[0].name"))
        XCTAssertEqual(error(rule("state = \"idle\"\ncontains = \"x\"\n[[profiles.bad.rules]]\nname = \"r\"\nstate = \"idle\"\ncontains = \"y\"")),
                       .invalidValue(profile: "bad", field: "rules[1].name", value: "r", expected: "a name no other rule of this profile has"))
    }

    func testUnknownFieldsAndWrongTypes() {
        XCTAssertEqual(error("[profiles.bad]\nsubmit_delay = 400\n"), .unknownField(profile: "bad", field: "submit_delay"))
        XCTAssertEqual(error(rule("state = \"idle\"\ncontains = \"x\"\nprio = 3")), .unknownField(profile: "bad", field: "rules[0].prio"))
        XCTAssertEqual(error("[profiles.bad]\nsubmit_delay_ms = \"400\"\n"), .wrongType(profile: "bad", field: "submit_delay_ms", reason: "expected an integer"))
        XCTAssertEqual(error(rule("state = \"idle\"\ncontains = \"x\"\npriority = \"high\"")), .wrongType(profile: "bad", field: "rules[0].priority", reason: "expected an integer"))
        XCTAssertEqual(error("[profiles]\nbad = 3\n"), .wrongType(profile: "bad", field: "profiles.bad", reason: "must be a table ([profiles.bad])"))
    }

    func testOutOfRangeValues() {
        XCTAssertEqual(error("[profiles.bad]\nsubmit_delay_ms = -5\n"), .invalidValue(profile: "bad", field: "submit_delay_ms", value: "-5", expected: "milliseconds from 0 to 10000"))
        XCTAssertEqual(error("[profiles.bad]\nenter_retries = 99\n"), .invalidValue(profile: "bad", field: "enter_retries", value: "99", expected: "a count from 0 to 10"))
        XCTAssertEqual(error("[profiles.bad]\nready = \"soon\"\n"), .invalidValue(profile: "bad", field: "ready", value: "soon", expected: "rule, left_cooked_mode, rule_or_left_cooked_mode"))
        XCTAssertEqual(error("[profiles.bad]\nnewline = \"crlf\"\n"), .invalidValue(profile: "bad", field: "newline", value: "crlf", expected: "lf, cr, meta_enter, space"))
    }

    func testMalformedTOML() {
        guard case .malformedTOML(let reason)? = error("[profiles.bad\n") else { return XCTFail("expected malformedTOML") }
        XCTAssertTrue(reason.contains("line 1"), reason)
    }

    func testAnErrorInABaseNamesTheBase() {
        XCTAssertEqual(error("[profiles.base]\nready = \"x\"\n[profiles.child]\nextends = \"base\"\n"),
                       .invalidValue(profile: "base", field: "ready", value: "x", expected: "rule, left_cooked_mode, rule_or_left_cooked_mode"))
    }
}
