import Foundation
import OverseerCgroup
import OverseerKill
import OverseerProcess
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The kill engine where it used to fail open: a process whose main thread called
/// pthread_exit (leader `Z`, another thread alive), with and without a cgroup. Survivors are counted from /proc by the test itself (threads' states in
/// /proc/PID/task), never from the report, and the report must agree.
final class FailClosedKillTests: XCTestCase {
    var directory = ""
    var started: [Int32] = []
    var marker = ""

    override func setUpWithError() throws {
        TestProcesses.becomeSubreaper()
        directory = TestProcesses.temporaryDirectory("failclosed")
        marker = TestProcesses.uniqueMarker()
        started = []
    }

    override func tearDown() {
        TestProcesses.killCarrying("OVERSEER_AGENT_ID", marker)
        for pid in started { kill(pid, SIGKILL) }
        TestProcesses.reapZombieChildren()
        TestProcesses.removeDirectory(directory)
    }

    /// Compiles a fixture from Tests/Fixtures/c into the test's directory.
    func compile(_ name: String) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/c/\(name).c").path
        let binary = "\(directory)/\(name)"
        let result = try CommandRunner.run(["/usr/bin/cc", "-O1", "-pthread", "-o", binary, source], directory: directory)
        guard result.status == 0 else { throw TestFailure("cc \(name).c failed: \(result.stderr)") }
        return binary
    }

    func waitForFile(_ path: String, timeout: Double = 60) -> Bool {
        TestProcesses.waitUntil(timeout: timeout, interval: 0.05) { FileManager.default.fileExists(atPath: path) }
    }

    /// Ground truth from /proc: the pid runs if any of its threads is not a zombie.
    static func witnessAlive(_ pid: Int32) -> Bool {
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return false }
        return tids.contains { tid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { return false }
            let state = text[text.index(after: close)...].split(separator: " ").first
            return state != "Z" && state != "X"
        }
    }

    /// Starts the pthread_exit fixture (optionally inside `cgroup`) and waits for its leader to be a zombie.
    func startZombieLeader(cgroup: Cgroup? = nil) throws -> ProcessIdentity {
        let binary = try compile("zombie_leader")
        let ready = "\(directory)/zombie-ready"
        let fd = try cgroup.map { try $0.openDirectory() }
        defer { if let fd { close(fd) } }
        let pid = try spawnPlain(argv: [binary, ready], environment: ["OVERSEER_AGENT_ID": marker], newSession: true, cgroupFD: fd)
        started.append(pid)
        XCTAssertTrue(waitForFile(ready, timeout: 20))
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { (try? ProcStat.read(pid: pid))?.state == .zombie }, "the leader did not exit")
        XCTAssertTrue(Self.witnessAlive(pid), "its other thread runs")
        XCTAssertEqual(ProcessIdentity(pid: pid, startTime: try ProcStat.read(pid: pid).startTime, bootID: BootID.current).presence(), .alive)
        return ProcessIdentity(pid: pid, startTime: try ProcStat.read(pid: pid).startTime, bootID: BootID.current)
    }

    func testAZombieLeaderWithALiveThreadIsKilled() throws {
        let root = try startZombieLeader()
        let report = KillEngine(options: KillOptions(graceSeconds: 0.5, reapOwnChildren: true)).kill(KillTarget(roots: [root]))
        XCTAssertFalse(Self.witnessAlive(root.pid), "the process survived")
        XCTAssertTrue(report.clean, "survivors \(report.survivors), problems \(report.problems)")
        XCTAssertEqual(report.processes.map(\.identity), [root], "the zombie leader is a member, not 'not running'")
        XCTAssertEqual(report.processes.first?.outcome, .killed)
    }

    func testAZombieLeaderWithALiveThreadIsKilledInItsCgroup() throws {
        let (made, reason) = TestCgroups.make("zleader")
        guard let made else { throw XCTSkip(reason) }
        defer { TestCgroups.destroy(made) }
        let agent = made.child("agent")
        try agent.create()
        let root = try startZombieLeader(cgroup: agent)
        let report = KillEngine(options: KillOptions(graceSeconds: 0.5, reapOwnChildren: true)).kill(KillTarget(roots: [root], cgroup: agent))
        XCTAssertFalse(Self.witnessAlive(root.pid), "the process survived cgroup.kill and its fallback")
        XCTAssertTrue(report.clean, "survivors \(report.survivors), problems \(report.problems), cgroup \(String(describing: report.cgroup))")
        XCTAssertEqual(report.survivors.count, 0)
        XCTAssertEqual(report.cgroup?.removed, true, "the emptied cgroup is removed")
        XCTAssertTrue(report.processes.first?.signals.contains("cgroup.kill") ?? false, "\(report.processes)")
    }
}
