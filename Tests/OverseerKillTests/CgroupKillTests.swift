import Foundation
import OverseerCgroup
import OverseerKill
import OverseerProcess
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The kill engine with agents that have their own cgroup: membership by cgroup, one
/// cgroup.kill instead of per-pid SIGKILLs, removal of the emptied cgroup, and protected pids
/// inside a cgroup (never killed whole then).
final class CgroupKillTests: XCTestCase {
    var cgroup: Cgroup!
    var started: [Int32] = []
    var directory = ""

    override func setUpWithError() throws {
        TestProcesses.becomeSubreaper()
        let (made, reason) = TestCgroups.make("kill")
        guard let made else { throw XCTSkip(reason) }
        cgroup = made
        started = []
        directory = TestProcesses.temporaryDirectory("cg-kill")
    }

    override func tearDown() {
        TestProcesses.killAll(started)
        if let cgroup { TestCgroups.destroy(cgroup) }
        TestProcesses.removeDirectory(directory)
    }

    /// Starts `script` inside the agent cgroup (no marker in its environment) and returns the root.
    func startAgent(_ agent: Cgroup, _ script: String) throws -> ProcessIdentity {
        try agent.create()
        let fd = try agent.openDirectory()
        defer { close(fd) }
        let pid = try spawnPlain(argv: ["/bin/sh", "-c", script], environment: ["PATH": "/usr/bin:/bin"], newSession: true, cgroupFD: fd)
        started.append(pid)
        return try XCTUnwrap(ProcessIdentity.current(pid: pid))
    }

    func readPid(_ name: String) -> Int32? {
        (try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func testCgroupMembersAreKilledWholeAndTheCgroupRemoved() throws {
        let agent = cgroup.child("agent-a")
        // A root that ignores TERM and HUP, and a double-forked, marker-less daemon that ignores them too.
        let root = try startAgent(agent, #"trap '' TERM HUP; (setsid sh -c 'sleep 600 & echo $! > \#(directory)/daemon' &); sleep 600"#)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { self.readPid("daemon") != nil })
        let daemon = try XCTUnwrap(readPid("daemon"))
        started.append(daemon)
        let members = Set(try agent.allProcesses())
        XCTAssertTrue(members.contains(daemon) && members.contains(root.pid))

        let report = KillEngine(options: KillOptions(graceSeconds: 0.5, reapOwnChildren: true)).kill(KillTarget(roots: [root], cgroup: agent))

        XCTAssertTrue(report.clean, "survivors: \(report.survivors)")
        XCTAssertEqual(report.cgroup, CgroupKillResult(path: agent.path, killed: true, removed: true))
        XCTAssertFalse(agent.exists)
        for pid in members { XCTAssertFalse(TestProcesses.isAlive(pid), "pid \(pid) survived") }
        let daemonRecord = try XCTUnwrap(report.processes.first { $0.identity.pid == daemon })
        XCTAssertEqual(daemonRecord.reason, .cgroup, "only the cgroup knew the daemon")
        XCTAssertEqual(daemonRecord.outcome, .killed)
        XCTAssertEqual(daemonRecord.signals.last, "cgroup.kill")
        XCTAssertEqual(Set(report.processes.map(\.identity.pid)), members)
    }

    func testACgroupHoldingAProtectedPidIsNotKilledWhole() throws {
        let agent = cgroup.child("agent-b")
        let root = try startAgent(agent, #"(setsid sleep 600 & echo $! > \#(directory)/broker); sleep 600 & wait"#)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { self.readPid("broker") != nil && ((try? agent.allProcesses().count) ?? 0) >= 3 })
        let broker = try XCTUnwrap(readPid("broker"))
        started.append(broker)
        let members = try agent.allProcesses()

        let report = KillEngine(options: KillOptions(graceSeconds: 1, protected: [broker], reapOwnChildren: true)).kill(KillTarget(roots: [root], cgroup: agent))

        XCTAssertTrue(TestProcesses.isAlive(broker), "the protected broker must live")
        XCTAssertTrue(report.clean, "survivors: \(report.survivors)")
        XCTAssertEqual(report.skipped.first { $0.pid == broker }?.reason, .protectedPID)
        for pid in members where pid != broker { XCTAssertFalse(TestProcesses.isAlive(pid), "pid \(pid) survived") }
        XCTAssertEqual(report.cgroup?.killed, false)
        XCTAssertEqual(report.cgroup?.removed, false)
        XCTAssertTrue(report.cgroup?.note?.contains("protected pid \(broker)") ?? false, "\(String(describing: report.cgroup))")
        XCTAssertEqual(try agent.allProcesses(), [broker], "the cgroup keeps the broker and nothing else")
    }

    func testTwoAgentCgroupsInOneRunStaySeparate() throws {
        let first = cgroup.child("agent-c")
        let second = cgroup.child("agent-d")
        let rootA = try startAgent(first, "sleep 600 & sleep 600 & wait")
        let rootB = try startAgent(second, "sleep 600 & wait")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ((try? first.allProcesses().count) ?? 0) == 3 && ((try? second.allProcesses().count) ?? 0) == 2 })
        let survivorsOfB = try second.allProcesses()

        let reports = KillEngine(options: KillOptions(graceSeconds: 1, reapOwnChildren: true)).kill([KillTarget(roots: [rootA], cgroup: first)])

        XCTAssertEqual(reports.count, 1)
        XCTAssertTrue(reports[0].clean)
        XCTAssertFalse(first.exists)
        for pid in survivorsOfB { XCTAssertTrue(TestProcesses.isAlive(pid), "pid \(pid) of the other agent was killed") }
        XCTAssertEqual(Set(try second.allProcesses()), Set(survivorsOfB))
        _ = rootB
    }

    func testAGoneCgroupFallsBackToIdentity() throws {
        let pid = try spawnPlain(argv: ["/bin/sleep", "600"], environment: [:], newSession: true)
        started.append(pid)
        let root = try XCTUnwrap(ProcessIdentity.current(pid: pid))
        let report = KillEngine(options: KillOptions(graceSeconds: 1, reapOwnChildren: true)).kill(KillTarget(roots: [root], cgroup: cgroup.child("never-created")))
        XCTAssertTrue(report.clean)
        XCTAssertFalse(TestProcesses.isAlive(pid))
        XCTAssertEqual(report.cgroup?.note, "already gone")
    }
}
