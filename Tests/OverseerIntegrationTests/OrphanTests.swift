import Foundation
import OverseerProcess
import OverseerTestSupport
import OverseerWire
import XCTest

/// Processes the supervisor adopts as subreaper are listed with the agent they came from.
final class OrphanTests: SupervisorTestCase {
    func testAnAdoptedDaemonIsAttributedToItsAgentByLineage() async throws {
        let token = "orphan-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        _ = try await spawn("parent", ["sh", "-c", "env -i /usr/bin/setsid -f /usr/bin/perl -e 'sleep 600' \(token); exec sleep 600"])
        let supervisorPID = supervisor.pid
        // Ground truth: the kernel re-parented the daemon to the supervisor.
        let adopted = await TestProcesses.waitUntilAsync(timeout: 20) {
            CmdlineWitness.pids(token).count == 1 && (try? ProcStat.read(pid: CmdlineWitness.pids(token)[0]))?.ppid == supervisorPID
        }
        XCTAssertTrue(adopted)
        let daemon = try XCTUnwrap(CmdlineWitness.pids(token).first)

        let list = try await client.send(.get("/v1/orphans")).decode(OrphanList.self)
        let entry = try XCTUnwrap(list.orphans.first { $0.identity.pid == daemon }, "\(list)")
        XCTAssertEqual(entry.agent, "parent")
        XCTAssertEqual(entry.attributedBy, .lineage)
        XCTAssertEqual(entry.identity.startTime, try ProcStat.read(pid: daemon).startTime)
        XCTAssertEqual(list.unattributed, list.orphans.filter { $0.attributedBy == nil }.count)

        let ps = try CommandRunner.run([SupervisorProcess.binaryPath, "ps", "--orphans", "--socket", supervisor.socketPath], directory: "/tmp")
        XCTAssertEqual(ps.status, 0, ps.stderr)
        XCTAssertTrue(ps.stdout.split(separator: "\n").contains { $0.hasPrefix("\(daemon) ") && $0.contains("parent") && $0.contains("lineage") }, ps.stdout)
        let metrics = try await client.send(.get("/metrics")).text
        XCTAssertTrue(metrics.contains(#"overseer_orphans{attributed="true"} "#), metrics)
    }
}

/// Without lineage or cgroups (markers mode), a daemon that cleared its marker cannot be tied
/// to its agent: it is still listed (unattributed), and a release during which it appeared says so.
final class UnattributedOrphanTests: SupervisorTestCase {
    override var supervisorArguments: [String] { ["--cgroup-root", "off"] }
    override var supervisorEnvironment: [String: String] { ["OVERSEER_LINEAGE": "off"] }

    func testADaemonBornDuringAReleaseIsReportedUnattributed() async throws {
        let token = "unattributed-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        // On SIGTERM or SIGHUP the agent leaves a daemon behind: own session, no marker, deaf
        // to the hang-up its terminal sends while it is being born.
        let script = "trap 'trap \"\" HUP; env -i /usr/bin/setsid -f /usr/bin/perl -e \"sleep 600\" \(token); exit 0' TERM HUP; echo armed; while :; do sleep 0.1; done"
        _ = try await spawn("leaver", ["sh", "-c", script])
        _ = try await waitForOutput("leaver", containing: "armed")
        let released = try await release("leaver")
        let left = CmdlineWitness.pids(token)
        XCTAssertEqual(left.count, 1, "the daemon was left behind (the release cannot see it without lineage)")
        let daemon = try XCTUnwrap(left.first)
        let reported = (released.unattributedOrphans ?? []).map(\.identity.pid)
        XCTAssertTrue(reported.contains(daemon), "the release report names it: \(reported)")

        let list = try await client.send(.get("/v1/orphans")).decode(OrphanList.self)
        let entry = try XCTUnwrap(list.orphans.first { $0.identity.pid == daemon }, "\(list)")
        XCTAssertNil(entry.agent)
        XCTAssertNil(entry.attributedBy)
        XCTAssertGreaterThanOrEqual(list.unattributed, 1)
        let ps = try CommandRunner.run([SupervisorProcess.binaryPath, "ps", "--orphans", "--socket", supervisor.socketPath], directory: "/tmp")
        XCTAssertTrue(ps.stdout.split(separator: "\n").contains { $0.hasPrefix("\(daemon) ") && $0.contains("UNATTRIBUTED") }, ps.stdout)
        let metrics = try await client.send(.get("/metrics")).text
        XCTAssertTrue(metrics.contains(#"overseer_orphans{attributed="false"} 1"#), metrics)
    }
}
