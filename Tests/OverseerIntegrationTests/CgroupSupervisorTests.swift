import Foundation
import OverseerCgroup
import OverseerWire
import OverseerClient
import OverseerKill
import OverseerProcess
import OverseerReaper
import OverseerRegistry
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// A real supervisor given a cgroup v2 subtree (`--cgroup-root`, as systemd's Delegate=yes
/// gives one): it moves into `supervisor/`, each agent is born in `agents/<id>/`, and release
/// and the reaper kill agent trees with cgroup.kill and remove their cgroups.
final class CgroupSupervisorTests: SupervisorTestCase {
    var subtree: Cgroup!

    override var supervisorArguments: [String] { ["--cgroup-root", subtree.path] }
    override var supervisorEnvironment: [String: String] { ["OVERSEER_HEARTBEAT_INTERVAL_SECONDS": "0.3"] }

    override func setUp() async throws {
        TestProcesses.becomeSubreaper()
        let (made, reason) = TestCgroups.make("sup")
        guard let made else { throw XCTSkip(reason) }
        subtree = made
        try await super.setUp()
    }

    override func tearDown() async throws {
        try await super.tearDown()
        if let subtree { TestCgroups.destroy(subtree) }
        XCTAssertFalse(subtree?.exists ?? false)
    }

    var layout: AgentCgroups { AgentCgroups(root: subtree) }

    /// A root that ignores TERM and HUP and a double-forked daemon that ignores them too and
    /// drops the OVERSEER_AGENT_ID marker: only the agent's cgroup still holds it.
    func spawnEscaper(_ name: String, pidfile: String, dispatch: String? = nil) async throws -> AgentView {
        let script = #"trap '' TERM HUP; (env -u OVERSEER_AGENT_ID setsid sh -c 'sleep 600 & echo $! > \#(pidfile)' &); sleep 600"#
        let response = try await client.send(try .json(.post, "/v1/agents", SpawnRequest(name: name, argv: ["sh", "-c", script], cwd: "/tmp", dispatch: dispatch)))
        XCTAssertEqual(response.status, 201, response.text)
        let info = try response.decode(AgentView.self)
        spawnedIDs.append(info.id)
        return info
    }

    func waitForPid(_ path: String) async -> Int32? {
        var pid: Int32?
        _ = await TestProcesses.waitUntilAsync(timeout: 5) {
            pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        return pid
    }

    func testAgentsAreBornInTheirOwnCgroupAndReleasedWithCgroupKill() async throws {
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        XCTAssertEqual(hierarchy.cgroup(of: supervisor.pid), layout.supervisor, "the supervisor moved into its leaf")
        XCTAssertEqual(try subtree.processes(), [], "no process in the inner node")

        let pidfile = supervisor.directory + "/daemon.pid"
        let agent = try await spawnEscaper("escaper", pidfile: pidfile)
        let expected = layout.cgroup(forAgent: agent.id)
        XCTAssertEqual(agent.cgroup, expected.path)
        XCTAssertEqual(hierarchy.cgroup(of: agent.pid), expected)
        let daemonPid = await waitForPid(pidfile)
        let daemon = try XCTUnwrap(daemonPid)
        XCTAssertEqual(ProcessSnapshot.environValue(pid: daemon, name: "OVERSEER_AGENT_ID"), nil, "the daemon carries no marker")
        XCTAssertEqual(hierarchy.cgroup(of: daemon), expected, "but it cannot leave the cgroup")
        let registry = try XCTUnwrap(try RegistryStore(path: supervisor.stateDirectory + "/registry.json").load())
        XCTAssertEqual(registry.agents.first { $0.name == "escaper" }?.cgroup, expected.path)
        let listed = try await client.send(.get("/v1/agents")).decode(AgentList.self)
        XCTAssertEqual(listed.agents.first?.cgroup, expected.path)
        let shown = try await client.send(.get("/v1/agents/escaper")).decode(AgentView.self)
        XCTAssertTrue(shown.tree?.contains { $0.pid == daemon } ?? false, "the tree view counts the cgroup's members too")

        let result = try await release("escaper")

        XCTAssertTrue(result.report.clean, "survivors: \(result.report.survivors)")
        XCTAssertEqual(result.report.cgroup, KillReportView.Cgroup(path: expected.path, killed: true, removed: true, note: nil))
        XCTAssertFalse(TestProcesses.isAlive(daemon), "the escaped daemon survived")
        XCTAssertFalse(TestProcesses.isAlive(agent.pid))
        XCTAssertFalse(expected.exists, "the agent's cgroup is removed")
        XCTAssertEqual(result.report.processes.first { $0.identity.pid == daemon }?.reason, .cgroup)
        XCTAssertTrue(supervisor.log_().contains("cgroup.kill"), "the release log names cgroup.kill")
    }

    func testPsShowsTheCgroup() throws {
        let spawned = try CommandRunner.run([SupervisorProcess.binaryPath, "spawn", "--socket", supervisor.socketPath, "shown", "--", "sleep", "600"], directory: supervisor.directory)
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        let ps = try CommandRunner.run([SupervisorProcess.binaryPath, "ps", "--socket", supervisor.socketPath], directory: supervisor.directory)
        XCTAssertEqual(ps.status, 0, ps.stderr)
        XCTAssertTrue(ps.stdout.contains("CGROUP"), ps.stdout)
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        let relative = String(layout.agents.path.dropFirst(hierarchy.mountPoint.count))
        XCTAssertTrue(ps.stdout.contains(relative + "/"), ps.stdout)
        let json = try CommandRunner.run([SupervisorProcess.binaryPath, "ps", "--json", "--socket", supervisor.socketPath], directory: supervisor.directory)
        let list = try JSONDecoder().decode(AgentList.self, from: Data(json.stdout.utf8))
        let agent = try XCTUnwrap(list.agents.first)
        spawnedIDs.append(agent.id)
        XCTAssertEqual(agent.cgroup, layout.cgroup(forAgent: agent.id).path)
    }

    func testTheReaperKillsAHandedOffAgentsCgroup() async throws {
        let dispatch = try await client.send(try .json(.post, "/v1/dispatches", DispatchRequest(issue: IssueReference(key: "ENG-9"), sessionRef: "s-9"))).decode(DispatchView.self)
        let pidfile = supervisor.directory + "/handed.pid"
        let agent = try await spawnEscaper("handed", pidfile: pidfile, dispatch: dispatch.id)
        let daemonPid = await waitForPid(pidfile)
        let daemon = try XCTUnwrap(daemonPid)
        let cgroup = layout.cgroup(forAgent: agent.id)
        let members = try cgroup.allProcesses()
        XCTAssertTrue(members.contains(daemon))
        let failed = try await client.send(.init(.post, "/v1/dispatches/\(dispatch.id)/fail"))
        XCTAssertEqual(failed.status, 200, failed.text)

        _ = FileManager.default.createFile(atPath: supervisor.directory + "/none.toml", contents: Data())
        let run = try CommandRunner.run([SupervisorProcess.binaryPath, "reap", "--json", "--registry", supervisor.stateDirectory + "/registry.json", "--kill-grace", "1", "--config", supervisor.directory + "/none.toml"],
                                        environment: ["OVERSEER_STATE_DIR": supervisor.stateDirectory], directory: supervisor.directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try JSONDecoder().decode(ReapReport.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(report.cgroups, [ReapCgroup(agent: "handed", result: CgroupKillResult(path: cgroup.path, killed: true, removed: true))])
        XCTAssertEqual(Set(report.reaped.map(\.pid)), Set(members))
        XCTAssertTrue(report.summary.contains("1 by cgroup.kill"), report.summary)
        for pid in members { XCTAssertFalse(TestProcesses.isAlive(pid), "pid \(pid) survived the reaper") }
        XCTAssertFalse(cgroup.exists)
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid), "the supervisor is protected")
    }

    /// The restarted-supervisor name clash (see `NameClashScenario`) with agent cgroups.
    func testARestartedSupervisorsAgentsAreNeverTakenForTheDeadOnesByName() async throws {
        try await NameClashScenario.run(supervisor, arguments: ["--kill-grace", "2"] + supervisorArguments, environment: supervisorEnvironment)
    }

    func testAnUnusableCgroupRootIsAClearStartupError() throws {
        let other = try SupervisorProcessAttempt.run(arguments: ["--cgroup-root", subtree.path + "/missing"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("cgroup_root") && other.stderr.contains("does not exist"), other.stderr)
        let outside = try SupervisorProcessAttempt.run(arguments: ["--cgroup-root", "/tmp"])
        XCTAssertNotEqual(outside.status, 0)
        XCTAssertTrue(outside.stderr.contains("not a cgroup v2 directory path"), outside.stderr)
    }
}

/// Runs `overseer serve` expecting it to refuse to start.
enum SupervisorProcessAttempt {
    static func run(arguments: [String]) throws -> CommandResult {
        let directory = TestProcesses.temporaryDirectory("serve-refused")
        defer { TestProcesses.removeDirectory(directory) }
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
        return try CommandRunner.run([SupervisorProcess.binaryPath, "serve", "--socket", directory + "/s.sock", "--state-dir", directory + "/state", "--config", directory + "/none.toml"] + arguments, directory: directory, timeout: 20)
    }
}
