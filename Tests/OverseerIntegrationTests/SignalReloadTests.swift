import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP reloads the configuration file and never stops the supervisor; SIGTERM still stops it.
final class SignalReloadTests: XCTestCase {
    func testSIGHUPReloadsTheConfigurationWhileAnAgentRuns() async throws {
        let configDirectory = TestProcesses.temporaryDirectory("overseer-reload")
        defer { TestProcesses.removeDirectory(configDirectory) }
        let configPath = configDirectory + "/overseer.toml"
        try "max_agents = 1\nkill_grace_seconds = 1\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        // The later --config wins over the empty file SupervisorProcess names.
        let supervisor = try SupervisorProcess(extraArguments: ["--cgroup-root", "off", "--config", configPath])
        var agentIDs: [String] = []
        defer {
            supervisor.stop()
            for id in agentIDs { TestProcesses.killCarrying("OVERSEER_AGENT_ID", id) }
            supervisor.removeFiles()
        }

        let first = try await OperatorSupport.spawn(supervisor.client, "worker", ["sleep", "600"])
        XCTAssertEqual(first.status, 201, first.text)
        let worker = try first.decode(AgentView.self)
        agentIDs.append(worker.id)
        let workerStart = try XCTUnwrap(OperatorSupport.startTime(of: worker.pid))
        let refused = try await OperatorSupport.spawn(supervisor.client, "second", ["sleep", "600"])
        XCTAssertEqual(refused.status, 429, "max_agents = 1 at start-up: \(refused.text)")

        // A run-time change (max_agents, log_level) and two that need a restart.
        try """
        max_agents = 2
        kill_grace_seconds = 1
        log_level = "debug"
        registry_path = "\(configDirectory)/elsewhere.json"
        heartbeat_interval_seconds = 7
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        kill(supervisor.pid, SIGHUP)
        let reloaded = TestProcesses.waitUntil(timeout: 10) { supervisor.log_().contains("configuration reloaded") }
        XCTAssertTrue(reloaded, supervisor.log_())
        let line = try XCTUnwrap(supervisor.log_().split(separator: "\n").first { $0.contains("configuration reloaded") })
        XCTAssertTrue(line.contains("notice"), String(line))
        XCTAssertTrue(line.contains("max_agents=2"), String(line))
        XCTAssertTrue(line.contains("log_level=\\\"debug\\\"") || line.contains("log_level=\"debug\""), String(line))
        XCTAssertTrue(line.contains("registry_path (fixed until restart)"), String(line))
        XCTAssertTrue(line.contains("heartbeat_interval_seconds (fixed until restart)"), String(line))
        XCTAssertFalse(FileManager.default.fileExists(atPath: configDirectory + "/elsewhere.json"), "the registry did not move")

        // The supervisor and its agent are the same processes as before, and the new limit holds.
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid))
        XCTAssertEqual(OperatorSupport.startTime(of: worker.pid), workerStart, "the agent kept running through SIGHUP")
        let second = try await OperatorSupport.spawn(supervisor.client, "second", ["sleep", "600"])
        XCTAssertEqual(second.status, 201, "max_agents = 2 after the reload: \(second.text)")
        agentIDs.append(try second.decode(AgentView.self).id)
        let third = try await OperatorSupport.spawn(supervisor.client, "third", ["sleep", "600"])
        XCTAssertEqual(third.status, 429, third.text)

        // An invalid file is refused whole; the configuration in force stays.
        try "max_agents = 5\nkill_grace_seconds = \"soon\"\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        kill(supervisor.pid, SIGHUP)
        let refusedWhole = TestProcesses.waitUntil(timeout: 10) { supervisor.log_().contains("configuration reload refused") }
        XCTAssertTrue(refusedWhole, supervisor.log_())
        let errorLine = try XCTUnwrap(supervisor.log_().split(separator: "\n").first { $0.contains("configuration reload refused") })
        XCTAssertTrue(errorLine.contains("kill_grace_seconds"), String(errorLine))
        let stillTwo = try await OperatorSupport.spawn(supervisor.client, "third", ["sleep", "600"])
        XCTAssertEqual(stillTwo.status, 429, "max_agents = 5 of the refused file was not applied: \(stillTwo.text)")

        // A burst of hang-ups (a closing terminal sends more than one) stops nothing.
        for _ in 0..<20 { kill(supervisor.pid, SIGHUP) }
        let burstDone = TestProcesses.waitUntil(timeout: 15) {
            supervisor.log_().components(separatedBy: "configuration reload refused").count >= 3
        }
        XCTAssertTrue(burstDone, supervisor.log_())
        let health = try await supervisor.client.send(.get("/healthz"))
        XCTAssertEqual(health.status, 200)
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid))
        XCTAssertEqual(OperatorSupport.startTime(of: worker.pid), workerStart)

        // SIGTERM is still the graceful stop: agents released, exit 0.
        XCTAssertEqual(supervisor.stop(), 0, supervisor.log_())
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", worker.id), [])
    }
}
