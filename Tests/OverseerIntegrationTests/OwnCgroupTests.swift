import Foundation
import OverseerCgroup
import OverseerKill
import OverseerReaper
import OverseerTestSupport
import OverseerWire
import XCTest

/// Root in a plain shell, nobody delegated a cgroup (this machine's test runner), on the
/// defaults (`cgroup_root = auto`): the supervisor creates `<mount>/overseer/<key>` for its
/// agents, stays where it was started, and removes the subtree when it stops with it empty.
final class OwnCgroupTests: SupervisorTestCase {
    var hierarchy: CgroupHierarchy!
    var subtree: AgentCgroups { AgentCgroups.created(in: hierarchy, stateDirectory: supervisor.stateDirectory) }

    override func setUp() async throws {
        guard geteuid() == 0 else { throw XCTSkip("creating cgroups needs root") }
        guard let found = CgroupHierarchy.current(), access(found.mountPoint, W_OK) == 0 else { throw XCTSkip("no writable cgroup v2 hierarchy") }
        guard let own = found.cgroup(of: 0), !CgroupHierarchy.isDelegated(own) else { throw XCTSkip("the test runner's cgroup is delegated: auto would take that one") }
        hierarchy = found
        TestProcesses.becomeSubreaper()
        try await super.setUp()
    }

    /// `overseer config --json`'s tracking member, for this supervisor's socket and state directory.
    func configTracking() throws -> (source: String, tracking: TrackingView) {
        struct Probe: Decodable {
            struct Report: Decodable { var source: String; var tracking: TrackingView }
            var tracking: Report
        }
        let run = try CommandRunner.run([SupervisorProcess.binaryPath, "config", "--json", "--config", supervisor.directory + "/none.toml"],
                                        environment: ["OVERSEER_SOCKET_PATH": supervisor.socketPath, "OVERSEER_STATE_DIR": supervisor.stateDirectory], directory: "/tmp")
        XCTAssertEqual(run.status, 0, run.stderr)
        let probe = try JSONDecoder().decode(Probe.self, from: Data(run.stdout.utf8))
        return (probe.tracking.source, probe.tracking.tracking)
    }

    /// A daemon that left the agent's session and group and dropped the marker: only the
    /// agent's cgroup (and the lineage) still hold it.
    func spawnEscaper(_ name: String, token: String) async throws -> (agent: AgentView, daemon: Int32) {
        let agent = try await spawn(name, ["sh", "-c", "env -i /usr/bin/setsid -f /usr/bin/perl -e 'sleep 600' \(token); exec sleep 600"])
        let up = await TestProcesses.waitUntilAsync(timeout: 20) { CmdlineWitness.pids(token).count == 1 }
        XCTAssertTrue(up, "the daemon never started")
        return (agent, try XCTUnwrap(CmdlineWitness.pids(token).first))
    }

    func testTheSupervisorCreatesASubtreeOfItsOwnAndRemovesItAtAStop() async throws {
        let token = "owncg-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        let expected = subtree
        XCTAssertTrue(expected.agents.exists, "no \(expected.agents.path)")
        XCTAssertEqual(hierarchy.cgroup(of: supervisor.pid), hierarchy.cgroup(of: 0), "the supervisor stays where it was started")
        XCTAssertFalse(expected.supervisor.exists)
        XCTAssertTrue(supervisor.log_().contains("origin=created") && supervisor.log_().contains("mode=cgroup+lineage"), supervisor.log_())
        let health = try await client.send(.get("/healthz")).decode(HealthResponse.self)
        XCTAssertEqual(health.tracking?.mode, "cgroup+lineage")
        XCTAssertEqual(health.tracking?.cgroupOrigin, "created")
        XCTAssertEqual(health.tracking?.cgroupRoot, expected.root.path)
        let asked = try configTracking()
        XCTAssertEqual(asked.source, "running")
        XCTAssertEqual(asked.tracking, health.tracking)

        let (agent, daemon) = try await spawnEscaper("escaper", token: token)
        let agentCgroup = expected.cgroup(forAgent: agent.id)
        XCTAssertEqual(agent.cgroup, agentCgroup.path)
        XCTAssertEqual(hierarchy.cgroup(of: daemon), agentCgroup, "the daemon is still in the agent's cgroup (witness: /proc/PID/cgroup)")
        let released = try await release("escaper")
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the daemon survived")
        XCTAssertTrue(released.report.clean, "\(released.report.problems)")
        XCTAssertEqual(released.report.cgroup, KillReportView.Cgroup(path: agentCgroup.path, killed: true, removed: true, note: nil))
        XCTAssertFalse(agentCgroup.exists)

        let status = try XCTUnwrap(supervisor.stop())
        XCTAssertEqual(status, 0, "serve exits 0 after SIGTERM; log:\n\(supervisor.log_())")
        XCTAssertFalse(expected.root.exists, "the empty subtree is removed at the stop")
        let predicted = try configTracking()
        XCTAssertEqual(predicted.source, "predicted")
        XCTAssertEqual(predicted.tracking.mode, "cgroup+lineage")
        XCTAssertEqual(predicted.tracking.cgroupRoot, expected.root.path)
        XCTAssertEqual(predicted.tracking.cgroupOrigin, "created")
    }

    /// After a SIGKILL the subtree stays with the agent's tree in it; the reaper kills it
    /// with cgroup.kill, and a restarted supervisor takes the same subtree over.
    func testASubtreeStrandedByASIGKILLIsReapedAndTakenOverAgain() async throws {
        let token = "owncg-kill-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        let expected = subtree
        let (agent, daemon) = try await spawnEscaper("stranded", token: token)
        let agentCgroup = expected.cgroup(forAgent: agent.id)
        supervisor.kill9()
        XCTAssertTrue(TestProcesses.isAlive(daemon))
        XCTAssertTrue(try agentCgroup.isPopulated())

        let argv = [SupervisorProcess.binaryPath, "reap", "--kill-grace", "1", "--json", "--state-dir", supervisor.stateDirectory, "--config", supervisor.directory + "/none.toml"]
        let run = try CommandRunner.run(argv, directory: "/tmp")
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let report = try JSONDecoder().decode(ReapReport.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(report.cgroups, [ReapCgroup(agent: "stranded", result: CgroupKillResult(path: agentCgroup.path, killed: true, removed: true))])
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the daemon survived the reaper")
        XCTAssertFalse(TestProcesses.isAlive(agent.pid))
        XCTAssertFalse(agentCgroup.exists)

        try supervisor.start(extraArguments: ["--kill-grace", "2"])
        XCTAssertTrue(expected.agents.exists)
        let again = try await spawn("again", ["sleep", "600"])
        XCTAssertEqual(hierarchy.cgroup(of: again.pid), expected.cgroup(forAgent: again.id))
    }

    /// The pid hopper and the fork storm of `LineageTests`, in the created subtree: the
    /// agent's cgroup holds every generation, and none is left (witness: the token in /proc).
    func testAPidHopperAndAForkStormLeaveNoSurvivorInTheCreatedSubtree() async throws {
        let hopperToken = "owncg-hop-" + TestProcesses.uniqueMarker()
        let stormToken = "owncg-storm-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(hopperToken); CmdlineWitness.killAll(stormToken) }
        let hopper = try await spawn("hopper", EscapeScripts.hopper(hopperToken))
        let storm = try await spawn("storm", EscapeScripts.forkStorm(stormToken))
        var seen: Set<Int32> = []
        let going = await TestProcesses.waitUntilAsync(timeout: 30) {
            seen.formUnion(CmdlineWitness.pids(hopperToken))
            return seen.count >= 5 && CmdlineWitness.pids(stormToken).count >= 20
        }
        XCTAssertTrue(going, "hopper generations \(seen.count), storm \(CmdlineWitness.pids(stormToken).count)")
        let stormCgroup = subtree.cgroup(forAgent: storm.id)
        XCTAssertTrue(CmdlineWitness.pids(stormToken).allSatisfy { hierarchy.cgroup(of: $0) == stormCgroup || !TestProcesses.isAlive($0) })
        for (name, token) in [("hopper", hopperToken), ("storm", stormToken)] {
            let released = try await release(name)
            XCTAssertEqual(CmdlineWitness.pids(token), [], "\(name) left survivors")
            XCTAssertTrue(released.report.clean, "\(name): \(released.report.problems as Any)")
            XCTAssertEqual(released.report.survivors, [])
            XCTAssertEqual(released.report.cgroup?.killed, true, "\(name) was killed by cgroup.kill")
        }
        XCTAssertFalse(subtree.cgroup(forAgent: hopper.id).exists)
    }
}
