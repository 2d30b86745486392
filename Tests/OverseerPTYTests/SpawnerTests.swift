import COverseerSys
import Foundation
import OverseerProcess
import OverseerPTY
import OverseerTestSupport
import XCTest

/// Spawning into a PTY with real programs, read back through the master.
final class SpawnerTests: XCTestCase {
    func spawn(_ argv: [String], env: [String: String] = [:], cwd: String? = nil) throws -> SpawnedPTYProcess {
        var environment = AgentEnvironment.build(inherited: ["PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1", "LISTEN_FDS": "3"], overrides: env, agentID: "spawner-test", incarnation: "i1")
        environment["PS1"] = "$ "
        return try Spawner.spawnInPTY(SpawnSpec(argv: argv, cwd: cwd, environment: environment, rows: 33, cols: 101))
    }

    override func setUp() {
        TestProcesses.becomeSubreaper()
    }

    func finish(_ process: SpawnedPTYProcess) {
        TestProcesses.killCarrying("OVERSEER_AGENT_ID", "spawner-test")
        _ = TestProcesses.reap(process.pid)
        close(process.masterFD)
        TestProcesses.reapZombieChildren()
    }

    func testAgentIsSessionLeaderWithThePTYAsControllingTerminal() throws {
        let process = try spawn(["/bin/sh", "-c", "tty; ps -o sid=,pgid=,tty= -p $$; stty size; echo \"env:$OVERSEER_AGENT_ID:$OVERSEER_INCARNATION:${NOTIFY_SOCKET-unset}:${WATCHDOG_USEC-unset}:${LISTEN_FDS-unset}\"; sleep 600"])
        defer { finish(process) }
        let output = TestProcesses.readPTY(process.masterFD, until: "env:")
        XCTAssertTrue(output.contains(process.slavePath), "tty prints the PTY slave: \(output)")
        let stat = try ProcStat.read(pid: process.pid)
        XCTAssertEqual(stat.sid, process.pid, "the agent leads its own session")
        XCTAssertEqual(stat.pgid, process.pid)
        XCTAssertNotEqual(stat.ttyNr, 0, "it has a controlling terminal")
        XCTAssertTrue(output.contains("33 101"), "rows and cols applied: \(output)")
        XCTAssertTrue(output.contains("env:spawner-test:i1:unset:unset:unset"), output)
    }

    func testMasterIsCloseOnExecAndNonBlocking() throws {
        let process = try spawn(["/bin/sleep", "600"])
        defer { finish(process) }
        XCTAssertNotEqual(fcntl(process.masterFD, F_GETFD) & FD_CLOEXEC, 0)
        XCTAssertNotEqual(fcntl(process.masterFD, F_GETFL) & O_NONBLOCK, 0)
        // The child holds only its three stdio fds (all the PTY slave).
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { (try? ProcStat.read(pid: process.pid))?.comm == "sleep" })
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd")
        XCTAssertEqual(fds.sorted(), ["0", "1", "2"])
    }

    func testResizeIsSeenByTheAgent() throws {
        let process = try spawn(["/bin/sh", "-c", "trap 'stty size' WINCH; echo ready; while :; do sleep 0.05; done"])
        defer { finish(process) }
        _ = TestProcesses.readPTY(process.masterFD, until: "ready")
        XCTAssertEqual(ov_pty_set_size(process.masterFD, 40, 120), 0)
        kill(process.pid, SIGWINCH) // the kernel sends it to the foreground group; be explicit for sh
        XCTAssertTrue(TestProcesses.readPTY(process.masterFD, until: "40 120").contains("40 120"))
    }

    func testFailedSpawnsNameTheCauseAndLeaveNothingBehind() throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        let plainFile = directory + "/plain"
        _ = FileManager.default.createFile(atPath: plainFile, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        let fdsBefore = TestProcesses.openFDCount()
        let childrenBefore = Set(TestProcesses.children())
        let env = ["PATH": "/usr/bin:/bin"]
        let cases: [(SpawnSpec, (SpawnError) -> Bool)] = [
            (SpawnSpec(argv: ["definitely-not-a-program-xyz"], environment: env), { if case .executableNotFound(let name, _) = $0 { return name == "definitely-not-a-program-xyz" }; return false }),
            (SpawnSpec(argv: ["/nonexistent/bin"], environment: env), { $0 == .noSuchFile(path: "/nonexistent/bin") }),
            (SpawnSpec(argv: [plainFile], environment: env), { $0 == .notExecutable(path: plainFile) }),
            (SpawnSpec(argv: ["/bin/true"], cwd: "/nonexistent-dir", environment: env), { if case .badWorkingDirectory(let path, _) = $0 { return path == "/nonexistent-dir" }; return false }),
            (SpawnSpec(argv: ["/bin/true"], cwd: plainFile, environment: env), { $0 == .badWorkingDirectory(path: plainFile, reason: "not a directory") }),
            (SpawnSpec(argv: [], environment: env), { $0 == .emptyArgv }),
            (SpawnSpec(argv: ["/bin/echo", "a\u{0}b"], environment: env), { $0 == .invalidArgument(index: 1, reason: "contains a NUL byte") }),
            (SpawnSpec(argv: ["/bin/true"], environment: ["A=B": "c"]), { if case .invalidEnvironment = $0 { return true }; return false }),
        ]
        for (spec, matches) in cases {
            XCTAssertThrowsError(try Spawner.spawnInPTY(spec)) { error in
                let spawnError = error as! SpawnError
                XCTAssertTrue(matches(spawnError), "unexpected \(spawnError) for \(spec.argv)")
                XCTAssertFalse(spawnError.description.isEmpty)
            }
        }
        XCTAssertEqual(TestProcesses.openFDCount(), fdsBefore, "no fd left behind")
        XCTAssertEqual(Set(TestProcesses.children()), childrenBefore, "no process left behind")
    }

    func testEnvironmentBuilding() {
        let env = AgentEnvironment.build(
            inherited: ["HOME": "/root", "NOTIFY_SOCKET": "/x", "WATCHDOG_PID": "1", "LISTEN_PID": "2", "JOURNAL_STREAM": "1:2", "OVERSEER_AGENT_ID": "parent", "TERM": "dumb"],
            overrides: ["FOO": "bar", "OVERSEER_INCARNATION": "forged"], agentID: "a1", incarnation: "i9"
        )
        XCTAssertEqual(env, ["HOME": "/root", "FOO": "bar", "TERM": "xterm-256color", "OVERSEER_AGENT_ID": "a1", "OVERSEER_INCARNATION": "i9"])
    }
}
