import Foundation
import OverseerKill
import OverseerProcess
import OverseerTestSupport
import XCTest

/// The kill engine against real process trees. Each test tags its processes with a unique
/// OVERSEER_AGENT_ID marker and kills whatever still carries it on the way out.
final class KillEngineTests: XCTestCase {
    var marker = ""
    var started: [Int32] = []

    override func setUp() {
        TestProcesses.becomeSubreaper()
        marker = TestProcesses.uniqueMarker()
        started = []
    }

    override func tearDown() {
        TestProcesses.killCarrying("OVERSEER_AGENT_ID", marker)
        TestProcesses.killAll(started)
    }

    func startTree(_ script: String) throws -> ProcessIdentity {
        let pid = try spawnPlain(argv: ["/bin/sh", "-c", script], environment: ["PATH": "/usr/bin:/bin", "OVERSEER_AGENT_ID": marker], newSession: true)
        started.append(pid)
        return try XCTUnwrap(ProcessIdentity.current(pid: pid))
    }

    var target: (ProcessIdentity) -> KillTarget {
        { KillTarget(roots: [$0], marker: EnvironmentMarker(name: "OVERSEER_AGENT_ID", value: self.marker)) }
    }

    func engine(grace: Double = 2, protected: Set<Int32> = []) -> KillEngine {
        KillEngine(options: KillOptions(graceSeconds: grace, protected: protected, reapOwnChildren: true))
    }

    static let escapingTree = TestProcesses.escapingTree

    func testReleasesEscapedDaemonsWithZeroSurvivors() throws {
        let root = try startTree(Self.escapingTree)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { TestProcesses.escapingTreeSettled(marker: self.marker, root: root.pid) })
        let before = Set(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker))
        // The double-forked daemon is no descendant of the root any more.
        let descendants = Set(ProcessSnapshot.capture().descendants(of: root.pid))
        XCTAssertFalse(before.subtracting(descendants).subtracting([root.pid]).isEmpty, "expected an escaped daemon")

        let report = engine().kill(target(root))

        XCTAssertTrue(report.clean, "survivors: \(report.survivors)")
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker), [])
        XCTAssertEqual(Set(report.processes.map(\.identity.pid)), before)
        for process in report.processes {
            XCTAssertEqual(process.signals.prefix(2), ["SIGSTOP", "SIGTERM"], "\(process)")
            XCTAssertTrue([.terminated, .killed].contains(process.outcome), "\(process)")
        }
        XCTAssertEqual(report.processes.first { $0.identity.pid == root.pid }?.reason, .root)
        XCTAssertTrue(report.processes.contains { $0.reason == .marker }, "the escaped daemon is found by its marker")
        let members = Set(report.processes.map(\.identity.pid))
        XCTAssertEqual(TestProcesses.zombies(parent: getpid()).filter(members.contains), [], "members that were our children are reaped")
    }

    func testProtectedPidInsideTheTreeSurvivesAndIsReported() throws {
        let root = try startTree("sleep 600 & sleep 600 & wait")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ProcessSnapshot.capture().descendants(of: root.pid).count == 2 })
        let kids = ProcessSnapshot.capture().descendants(of: root.pid).sorted()
        let protectedPID = kids[0]
        defer { TestProcesses.killAll([protectedPID]) }

        let report = engine(protected: [protectedPID]).kill(target(root))

        XCTAssertTrue(TestProcesses.isAlive(protectedPID), "the protected pid must survive")
        XCTAssertEqual(report.skipped.first { $0.pid == protectedPID }?.reason, .protectedPID)
        XCTAssertFalse(report.processes.contains { $0.identity.pid == protectedPID })
        XCTAssertFalse(TestProcesses.isAlive(kids[1]))
        XCTAssertFalse(TestProcesses.isAlive(root.pid))
        XCTAssertTrue(report.clean)
    }

    func testCallerAndItsAncestorsAreNeverSignalled() throws {
        // A marker the test process itself does not carry, but a root identity of our own.
        let me = try XCTUnwrap(ProcessIdentity.current(pid: getpid()))
        let report = engine().kill(KillTarget(roots: [me], marker: nil))
        XCTAssertEqual(report.skipped.map(\.reason), [.protectedPID])
        XCTAssertEqual(report.processes.count, 0)
    }

    func testWrongStartTimeIsAnIdentityMismatchAndNotSignalled() throws {
        let root = try startTree("sleep 600")
        var forged = root
        forged.startTime -= 1
        let report = engine().kill(KillTarget(roots: [forged], marker: nil))
        XCTAssertEqual(report.skipped.map(\.reason), [.identityMismatch])
        XCTAssertEqual(report.processes.count, 0)
        XCTAssertTrue(TestProcesses.isAlive(root.pid), "a process that merely holds the pid must not be touched")
    }

    func testGoneRootIsNotRunning() throws {
        let root = try startTree("exit 0")
        _ = TestProcesses.reap(root.pid)
        let report = engine().kill(KillTarget(roots: [root], marker: nil))
        XCTAssertEqual(report.skipped.map(\.reason), [.notRunning])
        XCTAssertTrue(report.clean)
    }

    func testTermIgnoringProcessesAreKilled() throws {
        let root = try startTree("trap '' TERM HUP; sh -c \"trap '' TERM HUP; sleep 600\" & wait")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", self.marker).count >= 3 })
        let report = engine(grace: 0.5).kill(target(root))
        XCTAssertTrue(report.clean)
        XCTAssertTrue(report.processes.contains { $0.outcome == .killed && $0.signals.last == "SIGKILL" })
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker), [])
    }

    /// A process forking a new child every 10 ms while being killed: converges to zero.
    func testForkStormConverges() throws {
        let root = try startTree("trap '' TERM; while :; do sleep 600 & sleep 0.01; done")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", self.marker).count >= 20 })
        let report = engine(grace: 0.5).kill(target(root))
        XCTAssertTrue(report.clean, "survivors: \(report.survivors)")
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker), [])
        XCTAssertGreaterThanOrEqual(report.processes.count, 20)
    }

    func testPlanSignalsNothing() throws {
        let root = try startTree("sleep 600 & wait")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ProcessSnapshot.capture().descendants(of: root.pid).count == 1 })
        let plan = engine().plan(target(root))
        XCTAssertEqual(plan.members.count, 2)
        XCTAssertTrue(plan.members.allSatisfy { TestProcesses.isAlive($0.0.pid) })
        XCTAssertTrue(plan.members.allSatisfy { $0.0.state != .stopped })
    }
}

/// Several trees in one run: shared scans, each process attributed to its own tree.
final class MultiTargetKillTests: XCTestCase {
    func testKillsSeveralTreesInOneRunAndAttributesEachProcess() throws {
        TestProcesses.becomeSubreaper()
        let markers = (0..<3).map { _ in TestProcesses.uniqueMarker() }
        defer { for marker in markers { TestProcesses.killCarrying("OVERSEER_AGENT_ID", marker) } }
        var targets: [KillTarget] = []
        for marker in markers {
            let pid = try spawnPlain(argv: ["/bin/sh", "-c", TestProcesses.escapingTree], environment: ["PATH": "/usr/bin:/bin", "OVERSEER_AGENT_ID": marker], newSession: true)
            // Settled, not merely "three seen": the expected sets below are compared exactly.
            XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { TestProcesses.escapingTreeSettled(marker: marker, root: pid) })
            targets.append(KillTarget(roots: [try XCTUnwrap(ProcessIdentity.current(pid: pid))], marker: EnvironmentMarker(name: "OVERSEER_AGENT_ID", value: marker)))
        }
        let expected = markers.map { Set(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", $0)) }

        let reports = KillEngine(options: KillOptions(graceSeconds: 2, reapOwnChildren: true)).kill(targets)

        XCTAssertEqual(reports.count, 3)
        for (report, pids) in zip(reports, expected) {
            XCTAssertTrue(report.clean)
            XCTAssertEqual(Set(report.processes.map(\.identity.pid)), pids, "each tree's processes are reported with it")
        }
        for marker in markers { XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker), []) }
    }
}
