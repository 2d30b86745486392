import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest

/// A profile from the configuration file (Tests/Fixtures/ask_profile.toml, the worked example
/// of docs/states.md) reads Tests/Fixtures/ask_tui.py's screen; the program's own log of the
/// phase it waits in is the ground truth. A bad profile keeps `serve` from starting.
final class CustomProfileStateTests: SupervisorTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static var profilePath: String { fixtures + "/ask_profile.toml" }
    static var program: String { fixtures + "/ask_tui.py" }

    override var supervisorArguments: [String] { ["--config", Self.profilePath] }

    var logPath: String { supervisor.directory + "/ask.log" }

    func phases() -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func testTheConfigProfileIsDetectedAndClassifiesAsItSays() async throws {
        let spawned = try await spawn("ask1", ["python3", Self.program, "--log", logPath])
        XCTAssertEqual(spawned.agentState?.profile, "askbot", "detected by the script python3 runs")

        let idle = try overseer(["wait", "ask1", "--until", "idle", "--timeout", "30"])
        XCTAssertEqual(idle.status, 0, idle.stdout + idle.stderr)
        XCTAssertEqual(phases().last, "prompt 1", "the program really waits at its prompt")
        let atPrompt = try overseer(["state", "ask1", "--explain"])
        XCTAssertTrue(atPrompt.stdout.contains("profile: askbot\n"), atPrompt.stdout)
        XCTAssertTrue(atPrompt.stdout.contains("rule: ask-prompt (idle, priority 10, cursor_line, regex '^ASK>')"), atPrompt.stdout)
        XCTAssertTrue(atPrompt.stdout.contains("evidence:\n  row 0: ASK>"), atPrompt.stdout)

        try await send("ask1", "deploy")
        let blocked = try overseer(["wait", "ask1", "--until", "blocked", "--timeout", "30"])
        XCTAssertEqual(blocked.status, 0, blocked.stdout + blocked.stderr)
        XCTAssertEqual(phases().last, "asking", "the program really waits for the approval")
        let asking = try overseer(["state", "ask1", "--explain"])
        XCTAssertTrue(asking.stdout.hasPrefix("blocked since "), asking.stdout)
        XCTAssertTrue(asking.stdout.contains("rule: asks-approval (blocked, priority 100"), asking.stdout)
        XCTAssertTrue(asking.stdout.contains("evidence:\n  row 1: deploy to prod? [approve?]"), asking.stdout)

        try await send("ask1", "y")
        let back = try overseer(["wait", "ask1", "--until", "idle", "--timeout", "30"])
        XCTAssertEqual(back.status, 0, back.stdout + back.stderr)
        XCTAssertEqual(Array(phases().suffix(2)), ["answered y", "prompt 2"])

        try await send("ask1", "work 3")
        let busy = try overseer(["wait", "ask1", "--until", "working", "--timeout", "30", "--json"])
        XCTAssertEqual(busy.status, 0, busy.stdout + busy.stderr)
        let view = try JSONDecoder().decode(AgentStateView.self, from: Data(busy.stdout.utf8))
        XCTAssertNil(view.rule, "no rule matches while it works: the profile's fallback_state")
        XCTAssertEqual(phases().last, "working")
        XCTAssertEqual(try overseer(["wait", "ask1", "--until", "idle", "--timeout", "30"]).status, 0)
        XCTAssertEqual(phases().last, "prompt 3")
    }

    func testProfileAtSpawnOverridesDetection() async throws {
        let spawned = try overseer(["spawn", "ask2", "--profile", "generic", "--submit-delay-ms", "50", "--json", "--", "python3", Self.program, "--log", logPath])
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        let info = try JSONDecoder().decode(AgentView.self, from: Data(spawned.stdout.utf8))
        spawnedIDs.append(info.id)
        XCTAssertEqual(info.agentState?.profile, "generic")
        let idle = try overseer(["wait", "ask2", "--until", "idle", "--timeout", "30", "--json"])
        XCTAssertEqual(idle.status, 0, idle.stdout + idle.stderr)
        let view = try JSONDecoder().decode(AgentStateView.self, from: Data(idle.stdout.utf8))
        XCTAssertEqual(view.profile, "generic")
        XCTAssertNotEqual(view.rule, "ask-prompt", "generic's rules read it, not askbot's")
        let listed = try await client.send(.get("/v1/agents")).decode(AgentList.self)
        XCTAssertEqual(listed.agents.first?.agentState?.profile, "generic")
    }

    func testProfilesCommandListsSourcesAndDetection() throws {
        let table = try overseer(["profiles", "--config", Self.profilePath])
        XCTAssertEqual(table.status, 0, table.stderr)
        let row = table.stdout.split(separator: "\n").first { $0.hasPrefix("askbot ") } ?? ""
        XCTAssertTrue(row.contains(" config ") && row.contains("ask_tui") && row.contains("asks-approval, ask-prompt"), table.stdout)
        XCTAssertTrue(table.stdout.split(separator: "\n").contains { $0.hasPrefix("shell ") && $0.contains("built-in") }, table.stdout)

        let json = try overseer(["profiles", "--config", Self.profilePath, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let askbot = (object?["profiles"] as? [[String: Any]])?.first { $0["name"] as? String == "askbot" }
        XCTAssertEqual(askbot?["source"] as? String, "config")
        XCTAssertEqual(askbot?["commands"] as? [String], ["ask_tui"])
        XCTAssertEqual(askbot?["ready"] as? String, "rule")
    }

    func testABadRegexKeepsServeFromStartingNamingProfileAndRule() throws {
        let bad = supervisor.directory + "/bad.toml"
        let text = try String(contentsOfFile: Self.profilePath, encoding: .utf8).replacingOccurrences(of: "regex = '^ASK>'", with: "regex = '^ASK>('")
        try text.write(toFile: bad, atomically: true, encoding: .utf8)
        let socket = supervisor.directory + "/bad.sock"
        let serve = try CommandRunner.run(
            [SupervisorProcess.binaryPath, "serve", "--socket", socket, "--state-dir", supervisor.directory + "/bad-state", "--config", bad],
            directory: supervisor.directory, timeout: 30
        )
        XCTAssertNotEqual(serve.status, 0, "serve must refuse a bad profile: \(serve.stderr)")
        XCTAssertTrue(serve.stderr.contains("config file \(bad): profile 'askbot': rules[1].regex (rule 'ask-prompt'): bad regex '^ASK>('"), serve.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socket), "nothing listened")

        let config = try overseer(["config", "--config", bad])
        XCTAssertEqual(config.status, 1)
        XCTAssertTrue(config.stderr.contains("profile 'askbot': rules[1].regex (rule 'ask-prompt'): bad regex"), config.stderr)
        let profiles = try overseer(["profiles", "--config", bad])
        XCTAssertEqual(profiles.status, 1)
        XCTAssertTrue(profiles.stderr.contains("rule 'ask-prompt'"), profiles.stderr)
    }
}
