import Foundation
import OverseerClient
import OverseerProcess
import OverseerReaper
import OverseerRegistry
import OverseerTestSupport
import OverseerWire
import XCTest

/// The restarted-supervisor name clash, as the issue found it: supervisor A spawns agents
/// that name themselves (`--agent-name`), is SIGKILLed, its agents die; the restarted
/// supervisor B spawns new agents of the same names; `overseer reap` must resolve A's stale
/// entries to nothing of B's. `w1` carries B's marker; `w2` dropped it (`env -u`), so only
/// B's registry entry (or, in cgroup mode, its cgroup) says whose it is.
enum NameClashScenario {
    static func perl(_ name: String) -> [String] { ["perl", "-e", "sleep 100000", "--", "--agent-name", name] }

    static func spawn(_ supervisor: SupervisorProcess, _ name: String, _ argv: [String]) async throws -> AgentView {
        let response = try await supervisor.client.send(try .json(.post, "/v1/agents", SpawnRequest(name: name, argv: argv, cwd: "/tmp")))
        XCTAssertEqual(response.status, 201, response.text)
        return try response.decode(AgentView.self)
    }

    /// Waits until the registry holds `count` entries; returns them.
    static func entries(_ supervisor: SupervisorProcess, count: Int) -> [RegistryEntry] {
        let store = RegistryStore(path: supervisor.stateDirectory + "/registry.json")
        var agents: [RegistryEntry] = []
        _ = TestProcesses.waitUntil(timeout: 10, interval: 0.05) {
            agents = ((try? store.load()) ?? nil)?.agents ?? []
            return agents.count == count
        }
        return agents
    }

    /// Runs the scenario on a started supervisor (restarted with the same arguments).
    static func run(_ supervisor: SupervisorProcess, arguments: [String], environment: [String: String]) async throws {
        let first = [try await spawn(supervisor, "w1", perl("w1")), try await spawn(supervisor, "w2", perl("w2"))]
        XCTAssertEqual(entries(supervisor, count: 2).count, 2)
        supervisor.kill9()
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { first.allSatisfy { !TestProcesses.isAlive($0.pid) } }, "A's agents die with their terminal")
        TestProcesses.reapZombieChildren()

        try supervisor.start(extraArguments: arguments, environment: environment)
        let second = [try await spawn(supervisor, "w1", perl("w1")), try await spawn(supervisor, "w2", ["env", "-u", "OVERSEER_AGENT_ID"] + perl("w2"))]
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { second.allSatisfy { (ProcessSnapshot.cmdline(of: $0.pid) ?? []).first == "perl" } })
        XCTAssertNil(ProcessSnapshot.environValue(pid: second[1].pid, name: "OVERSEER_AGENT_ID"), "B's w2 carries no marker")
        let innocent = [supervisor.pid] + second.map(\.pid)
        let before = innocent.map { (try? ProcStat.read(pid: $0))?.startTime }
        XCTAssertEqual(entries(supervisor, count: 4).count, 4, "A's stale entries are kept beside B's")

        _ = FileManager.default.createFile(atPath: supervisor.directory + "/none.toml", contents: Data())
        let run = try CommandRunner.run([SupervisorProcess.binaryPath, "reap", "--json", "--registry", supervisor.stateDirectory + "/registry.json", "--kill-grace", "1", "--config", supervisor.directory + "/none.toml"],
                                        environment: ["OVERSEER_STATE_DIR": supervisor.stateDirectory], directory: supervisor.directory)

        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let report = try JSONDecoder().decode(ReapReport.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(report.reaped, [], "nothing of B's is signalled")
        XCTAssertEqual(innocent.map { try? ProcStat.read(pid: $0) }.map { $0.flatMap { $0.state.isExited ? nil : $0.startTime } }, before, "B and its agents still run, same start times")
        for (name, agent) in zip(["w1", "w2"], second) {
            XCTAssertEqual(report.skipped.filter { $0.agent == name && $0.pid == agent.pid }.map(\.reason), ["another agent's process"], run.stdout)
        }
        XCTAssertEqual(Set(report.consumed), ["w1", "w2"], "A's entries: their trees are gone")
        let left = entries(supervisor, count: 2)
        XCTAssertEqual(Set(left.map(\.id)), Set(second.map(\.id)), "B's entries stay")
    }
}

/// The scenario on defaults: no cgroups, a plain root shell.
final class NameClashTests: XCTestCase {
    func testARestartedSupervisorsAgentsAreNeverTakenForTheDeadOnesByName() async throws {
        TestProcesses.becomeSubreaper()
        let arguments = ["--kill-grace", "1"]
        let supervisor = try SupervisorProcess(extraArguments: arguments)
        defer {
            supervisor.stop()
            supervisor.removeFiles()
        }
        try await NameClashScenario.run(supervisor, arguments: arguments, environment: [:])
    }
}
