import OverseerConfig
import OverseerProfiles
import XCTest

/// `[profiles.NAME]` tables in the configuration file: let through the unknown-key check,
/// checked into the catalog `serve` uses, and a bad one refused naming file, profile and rule.
final class ProfileTableTests: ConfigTestCase {
    func testProfilesTablesBecomeTheCatalog() throws {
        let path = try writeFile("""
        kill_grace_seconds = 3

        [profiles.askbot]
        extends = "generic"
        commands = ["askbot*"]

        [[profiles.askbot.rules]]
        name = "asks"
        state = "blocked"
        priority = 100
        region = "cursor_line"
        contains = "[approve?]"

        [profiles.codex]
        submit_delay_ms = 500
        """)
        let resolved = try loader().load(configPath: path)
        XCTAssertEqual(resolved.config.killGraceSeconds, 3)
        XCTAssertEqual(resolved.profiles.customNames, ["askbot", "codex"])
        let askbot = try resolved.profiles.profile(named: "askbot")
        XCTAssertEqual(askbot.bases, ["generic"])
        XCTAssertEqual(askbot.rules.first?.name, "asks")
        XCTAssertEqual(try resolved.profiles.profile(named: "codex").submitDelayMs, 500)
        XCTAssertEqual(resolved.profiles.detect(argv: ["/opt/askbot-2"]).name, "askbot")
        XCTAssertNil(resolved.value(of: "profiles"), "profiles is a table of its own, not a key")
    }

    func testNoFileOrNoProfilesMeansTheBuiltInOnes() throws {
        XCTAssertEqual(try loader().load(configPath: nil).profiles, ProfileCatalog.builtIn)
        XCTAssertEqual(try loader().load(configPath: try writeFile("max_agents = 4\n")).profiles.customNames, [])
    }

    func testABadRegexNamesFileProfileAndRule() throws {
        let path = try writeFile("""
        [profiles.askbot]
        [[profiles.askbot.rules]]
        name = "asks"
        state = "blocked"
        regex = 'approve\\?('
        """)
        let error = loadError(loader(), configPath: path)
        guard case .invalidProfile(let file, let reason) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(file, path)
        XCTAssertTrue(reason.hasPrefix("profile 'askbot': rules[0].regex (rule 'asks'): bad regex 'approve\\?('"), reason)
        XCTAssertTrue(error!.description.hasPrefix("config file \(path): profile 'askbot'"), error!.description)
    }

    func testUnknownBaseAndUnknownFieldAreNamed() throws {
        let base = loadError(loader(), configPath: try writeFile("[profiles.x]\nextends = \"gneric\"\n"))
        XCTAssertTrue(base?.description.contains("profile 'x': extends: unknown base profile 'gneric'") == true, "\(String(describing: base))")
        let field = loadError(loader(), configPath: try writeFile("[profiles.x]\nsubmit_delay = 4\n", named: "b.toml"))
        XCTAssertTrue(field?.description.contains("profile 'x': unknown field 'submit_delay'") == true, "\(String(describing: field))")
        let notTable = loadError(loader(), configPath: try writeFile("profiles = 3\n", named: "c.toml"))
        XCTAssertTrue(notTable?.description.contains("'profiles' must be a table") == true, "\(String(describing: notTable))")
    }

    func testUnknownTopLevelKeysAreStillRefusedFirst() throws {
        let error = loadError(loader(), configPath: try writeFile("profile = 1\n[profiles.x]\nextends = \"nope\"\n"))
        guard case .unknownKey(let key, _, _) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(key, "profile")
    }
}
