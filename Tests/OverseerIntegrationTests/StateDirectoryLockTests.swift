import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest

/// One supervisor per state directory: a second `serve` on it exits non-zero naming the
/// directory and the running instance's pid, and touches none of the first one's files.
final class StateDirectoryLockTests: XCTestCase {
    func testSecondServeOnTheSameStateDirectoryIsRefused() async throws {
        // A long heartbeat, so the first instance itself leaves its registry alone meanwhile.
        let first = try SupervisorProcess(extraArguments: ["--cgroup-root", "off", "--kill-grace", "1"], environment: ["OVERSEER_HEARTBEAT_INTERVAL_SECONDS": "3600"])
        var agentID = ""
        defer {
            first.stop()
            if !agentID.isEmpty { TestProcesses.killCarrying("OVERSEER_AGENT_ID", agentID) }
            first.removeFiles()
        }
        // Through the CLI, so its Idempotency-Key leaves a stored answer in idempotency.sqlite.
        let spawned = try OperatorSupport.overseer(["spawn", "--socket", first.socketPath, "--json", "held", "--", "sleep", "600"], directory: first.directory)
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        let agent = try JSONDecoder().decode(AgentView.self, from: Data(spawned.stdout.utf8))
        agentID = agent.id
        let agentStart = OperatorSupport.startTime(of: agent.pid)
        XCTAssertNotNil(agentStart)
        let before = OperatorSupport.snapshot(first.stateDirectory)
        for name in ["registry.json", "deliveries.sqlite", "idempotency.sqlite", "supervisor.lock"] {
            XCTAssertNotNil(before[name], "\(name) exists: \(before.keys.sorted())")
        }

        let secondSocket = first.directory + "/second.sock"
        let second = try OperatorSupport.overseer(
            ["serve", "--socket", secondSocket, "--state-dir", first.stateDirectory, "--config", first.directory + "/none.toml", "--cgroup-root", "off"],
            directory: first.directory, timeout: 30
        )
        XCTAssertNotEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("state directory \(first.stateDirectory)"), second.stderr)
        XCTAssertTrue(second.stderr.contains("pid \(first.pid)"), second.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: secondSocket), "the second instance never listened")

        let after = OperatorSupport.snapshot(first.stateDirectory)
        XCTAssertEqual(after.keys.sorted(), before.keys.sorted())
        for (name, state) in before {
            XCTAssertEqual(after[name], state, "\(name) unchanged by the second instance")
        }
        XCTAssertEqual(OperatorSupport.startTime(of: agent.pid), agentStart, "the first one's agent runs on")
        let health = try await first.client.send(.get("/healthz"))
        XCTAssertEqual(health.status, 200)

        // The lock goes with the process: a restart on the same directory starts.
        XCTAssertEqual(first.stop(), 0, first.log_())
        try first.start(extraArguments: ["--cgroup-root", "off"])
        let restarted = try await first.client.send(.get("/healthz"))
        XCTAssertEqual(restarted.status, 200)
        let lockText = try String(contentsOfFile: first.stateDirectory + "/supervisor.lock", encoding: .utf8)
        XCTAssertEqual(lockText, "\(first.pid)\n")
    }
}
