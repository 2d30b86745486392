import Foundation
import OverseerProcess
import OverseerRegistry
import OverseerTestSupport
import OverseerWire
import XCTest

/// Processes found by a token in their command line: the witness, read from /proc alone
/// (Overseer never sees the token).
enum CmdlineWitness {
    static func pids(_ token: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: bytes, as: UTF8.self).contains(token)
        }.sorted()
    }

    /// Kills them by pid until none is left (a hopper's newest generation may be missed by
    /// one pass).
    static func killAll(_ token: String) {
        _ = TestProcesses.waitUntil(timeout: 10) {
            let left = pids(token)
            TestProcesses.killAll(left)
            return left.isEmpty
        }
    }

    static func environ(_ pid: Int32) -> String {
        String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data(), as: UTF8.self)
    }
}

/// Agents' argv for trees that leave every trail but their lineage (and their cgroup).
enum EscapeScripts {
    /// A pid hopper (forks, and the parent exits, over and over) in a session and group of its
    /// own (setsid), without the marker (env -i), deaf to the hang-up; `token` in its cmdline.
    static func hopper(_ token: String) -> [String] {
        let hopper = #"$SIG{HUP} = "IGNORE"; while (1) { my $p = fork; if (defined $p && $p) { exit 0 } select(undef, undef, undef, 0.002) }"#
        return ["sh", "-c", "env -i /usr/bin/setsid -f /usr/bin/perl -e '\(hopper)' \(token); exec sleep 600"]
    }

    /// A fork storm that left the tree the same way: 400 children deaf to SIGTERM and SIGHUP,
    /// one every few milliseconds.
    static func forkStorm(_ token: String) -> [String] {
        let storm = #"$SIG{HUP} = $SIG{TERM} = "IGNORE"; for (1..400) { my $p = fork; if (defined $p && !$p) { sleep 600; exit 0 } select(undef, undef, undef, 0.005) } sleep 600"#
        return ["sh", "-c", "env -i /usr/bin/setsid -f /usr/bin/perl -e '\(storm)' \(token); exec sleep 600"]
    }
}

/// Without cgroups (plain root, `--cgroup-root off`), the kernel's fork
/// events tie every process to the agent whose tree forked it.
final class LineageTests: SupervisorTestCase {
    override var supervisorArguments: [String] { ["--cgroup-root", "off"] }

    /// Two daemons that leave every trail the kill engine had: `setsid -f` (new session and
    /// group, re-parented to the supervisor when setsid exits), one with `env -i` (no marker),
    /// one a perl whose long `$0` overwrites its environment (no marker, as nginx and redis do
    /// to theirs). Release kills both; the report names them as lineage.
    func testDaemonsThatLeftTheTreeAndLostTheMarkerAreReleased() async throws {
        let token = "lineage-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        let script = """
        env -i /usr/bin/setsid -f /usr/bin/perl -e 'sleep 600' \(token)-envi
        /usr/bin/setsid -f /usr/bin/perl -e '$0 = "\(token)-title " . ("x" x 5000); sleep 600'
        exec sleep 600
        """
        let agent = try await spawn("escapes", ["sh", "-c", script])
        let both = await TestProcesses.waitUntilAsync(timeout: 20) {
            CmdlineWitness.pids(token).count == 2 && CmdlineWitness.pids(token).allSatisfy { (try? ProcStat.read(pid: $0))?.ppid != agent.pid }
        }
        XCTAssertTrue(both, "both daemons up and re-parented: \(CmdlineWitness.pids(token))")
        let daemons = CmdlineWitness.pids(token)
        for pid in daemons {
            XCTAssertFalse(CmdlineWitness.environ(pid).contains("OVERSEER_AGENT_ID"), "pid \(pid) still carries the marker: the test proves nothing")
            let stat = try ProcStat.read(pid: pid)
            XCTAssertNotEqual(stat.sid, agent.pid, "left the agent's session")
            XCTAssertNotEqual(stat.ppid, agent.pid, "left the ppid tree")
        }

        let released = try await release("escapes")
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the witness still sees the daemons")
        XCTAssertTrue(released.report.clean, "\(released.report)")
        XCTAssertEqual(released.report.survivors, [])
        let byLineage = Set(released.report.processes.filter { $0.reason == .lineage }.map(\.identity.pid))
        XCTAssertTrue(Set(daemons).isSubset(of: byLineage), "report: \(released.report.processes.map { "\($0.identity.pid) \($0.reason)" }); daemons \(daemons)")
        XCTAssertTrue(released.report.processes.filter { daemons.contains($0.identity.pid) }.allSatisfy { $0.outcome != .survived && $0.outcome != .exited })
        // The start-up line named the mode in force (no cgroup subtree here: lineage alone).
        XCTAssertTrue(supervisor.log_().contains("agents are tracked") && supervisor.log_().contains("mode=lineage"), supervisor.log_())
    }

    /// A pid hopper (forks, and the parent exits, over and over) in a session of its own and
    /// without the marker: its pid changes faster than a /proc scan, and only the fork events
    /// tie it to the agent. Release ends it, verified by the witness.
    func testAPidHopperIsReleasedWithZeroSurvivors() async throws {
        let token = "hopper-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        _ = try await spawn("hopper", EscapeScripts.hopper(token))
        var seen: Set<Int32> = []
        let hopping = await TestProcesses.waitUntilAsync(timeout: 20) {
            seen.formUnion(CmdlineWitness.pids(token))
            return seen.count >= 5
        }
        XCTAssertTrue(hopping, "the hopper hops: \(seen)")

        let released = try await release("hopper")
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the hopper outran the release")
        XCTAssertTrue(released.report.clean, "\(released.report)")
        XCTAssertEqual(released.report.survivors, [])
    }

    /// A fork storm that left the tree (setsid, env -i) and is still forking when the release
    /// comes: children that ignore SIGTERM and SIGHUP, one every few milliseconds. None is left.
    func testAForkStormDuringReleaseLeavesNoSurvivor() async throws {
        let token = "storm-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        _ = try await spawn("storm", EscapeScripts.forkStorm(token))
        let storming = await TestProcesses.waitUntilAsync(timeout: 30) { CmdlineWitness.pids(token).count >= 20 }
        XCTAssertTrue(storming, "the storm started: \(CmdlineWitness.pids(token).count)")
        let released = try await release("storm")
        XCTAssertEqual(CmdlineWitness.pids(token), [], "survivors of the storm")
        XCTAssertTrue(released.report.clean, "\(released.report.problems)")
        XCTAssertEqual(released.report.survivors, [])
    }

    /// A process whose main thread called pthread_exit (a zombie leader, its other thread
    /// running and deaf to SIGTERM and SIGHUP) that also left the tree and has no marker: the
    /// leader's exit event does not drop it from the lineage; release kills it.
    func testAZombieLeaderThatLeftTheTreeIsReleased() async throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/c/zombie_leader.c").path
        let binary = directory + "/zombie_leader"
        let compiled = try CommandRunner.run(["/usr/bin/cc", "-O1", "-pthread", "-o", binary, source], directory: directory)
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        let ready = "\(directory)/ready"
        let pidfile = "\(directory)/pid"
        _ = try await spawn("zleader", ["sh", "-c", "/usr/bin/setsid -f /bin/sh -c 'echo $$ > \(pidfile); exec env -i \(binary) \(ready)'; exec sleep 600"])
        let started = await TestProcesses.waitUntilAsync(timeout: 20) { FileManager.default.fileExists(atPath: ready) }
        XCTAssertTrue(started, "the fixture never became ready")
        let pid = try XCTUnwrap(Int32((try? String(contentsOfFile: pidfile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        defer { kill(pid, SIGKILL) }
        let zombie = await TestProcesses.waitUntilAsync(timeout: 20) { (try? ProcStat.read(pid: pid))?.state == .zombie }
        XCTAssertTrue(zombie && Self.threadRuns(pid), "the leader is a zombie and its thread runs")
        XCTAssertFalse(CmdlineWitness.environ(pid).contains("OVERSEER_AGENT_ID"))
        let released = try await release("zleader")
        XCTAssertFalse(Self.threadRuns(pid), "the process lives on in its thread")
        XCTAssertTrue(released.report.clean, "\(released.report.problems)")
        XCTAssertTrue(released.report.processes.contains { $0.identity.pid == pid && $0.reason == .lineage }, "\(released.report.processes.map { "\($0.identity.pid) \($0.reason)" })")
    }

    /// Ground truth from /proc: some thread of the process is not a zombie.
    static func threadRuns(_ pid: Int32) -> Bool {
        let tids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tids.contains { tid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            let state = stat[stat.index(close, offsetBy: 2)]
            return state != "Z" && state != "X"
        }
    }
}

/// After a SIGKILL of the supervisor, the reaper finds what left the tree from the lineage
/// the supervisor recorded in the registry.
final class LineageReapTests: SupervisorTestCase {
    override var supervisorArguments: [String] { ["--cgroup-root", "off"] }
    override var supervisorEnvironment: [String: String] { ["OVERSEER_HEARTBEAT_INTERVAL_SECONDS": "0.2"] }

    func testTheReaperKillsADaemonOnlyTheLineageKnows() async throws {
        let token = "reaplineage-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        _ = try await spawn("stranded", ["sh", "-c", "env -i /usr/bin/setsid -f /usr/bin/perl -e 'sleep 600' \(token); exec sleep 600"])
        let daemonUp = await TestProcesses.waitUntilAsync(timeout: 20) { CmdlineWitness.pids(token).count == 1 }
        XCTAssertTrue(daemonUp)
        let daemon = try XCTUnwrap(CmdlineWitness.pids(token).first)
        let registryPath = supervisor.stateDirectory + "/registry.json"
        let recorded = await TestProcesses.waitUntilAsync(timeout: 20) {
            guard let document = try? RegistryStore(path: registryPath).load(movingCorruptAside: false) else { return false }
            return document.agents.contains { $0.name == "stranded" && ($0.lineage ?? []).contains { $0.pid == daemon } }
        }
        XCTAssertTrue(recorded, "the registry never recorded the daemon's identity in the agent's lineage")

        supervisor.kill9()
        let argv = [SupervisorProcess.binaryPath, "reap", "--kill-grace", "1", "--json", "--state-dir", supervisor.stateDirectory, "--config", supervisor.directory + "/none.toml"]
        let result = try CommandRunner.run(argv, environment: [:], directory: "/tmp")
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the daemon survived the reaper: \(result.stdout)")
        let report = try JSONDecoder().decode(ReapReportProbe.self, from: Data(result.stdout.utf8))
        XCTAssertTrue(report.reaped.contains { $0.agent == "stranded" }, result.stdout)
    }
}

/// The part of `overseer reap --json` this test reads.
private struct ReapReportProbe: Decodable {
    struct Reaped: Decodable { var agent: String }
    var reaped: [Reaped]
}
