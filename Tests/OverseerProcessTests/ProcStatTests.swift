import Foundation
import OverseerProcess
import OverseerTestSupport
import XCTest

final class ProcStatTests: XCTestCase {
    func testParsesTheLastParenthesisNotTheFirst() throws {
        let line = "4242 (a) (b) c) S 1 4242 4242 34816 4242 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n"
        let stat = try XCTUnwrap(ProcStat.parse(Array(line.utf8)))
        XCTAssertEqual(stat.pid, 4242)
        XCTAssertEqual(stat.comm, "a) (b) c")
        XCTAssertEqual(stat.state, .sleeping)
        XCTAssertEqual(stat.ppid, 1)
        XCTAssertEqual(stat.pgid, 4242)
        XCTAssertEqual(stat.sid, 4242)
        XCTAssertEqual(stat.ttyNr, 34816)
        XCTAssertEqual(stat.startTime, 987654)
    }

    func testRejectsTruncatedLines() {
        XCTAssertNil(ProcStat.parse(Array("12 (x) S 1 2".utf8)))
        XCTAssertNil(ProcStat.parse(Array("12 x S 1 2 3 4 5".utf8)))
        XCTAssertNil(ProcStat.parse([]))
    }

    func testReadsItself() throws {
        let stat = try ProcStat.read(pid: getpid())
        XCTAssertEqual(stat.pid, getpid())
        XCTAssertEqual(stat.ppid, getppid())
        XCTAssertEqual(stat.sid, getsid(0))
        XCTAssertEqual(stat.pgid, getpgrp())
        XCTAssertEqual(stat.uid, geteuid())
        XCTAssertGreaterThan(stat.startTime, 0)
    }

    /// Real processes whose comm holds `) (`, spaces and a newline (copies of /bin/sleep).
    func testRealProcessesWithHostileNames() throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        // comm is the first 15 bytes of the executable's name.
        let names = ["a) (b", "x y) z", "new\nline", ") ) )", "(("]
        var pids: [Int32] = []
        defer { TestProcesses.killAll(pids) }
        for name in names {
            let path = "\(directory)/\(name)"
            try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: path)
            pids.append(try spawnPlain(argv: [path, "600"], environment: [:]))
        }
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) {
            pids.allSatisfy { (try? ProcStat.read(pid: $0))?.comm != "overseerPackage" && (try? ProcStat.read(pid: $0))?.state == .sleeping }
        })
        let snapshot = ProcessSnapshot.capture()
        for (pid, name) in zip(pids, names) {
            let stat = try ProcStat.read(pid: pid)
            XCTAssertEqual(stat.comm, String(name.prefix(15)), "comm of \(pid)")
            XCTAssertEqual(stat.ppid, getpid())
            XCTAssertEqual(stat.state, .sleeping)
            XCTAssertEqual(snapshot[pid]?.startTime, stat.startTime)
            XCTAssertEqual(ProcessSnapshot.cmdline(of: pid), ["\(directory)/\(name)", "600"])
        }
    }
}

final class IdentityTests: XCTestCase {
    func testBootIDIsAUUID() {
        XCTAssertEqual(BootID.current.count, 36)
        XCTAssertEqual(BootID.current.filter { $0 == "-" }.count, 4)
    }

    func testLivenessOfALiveAGoneAndAReusedIdentity() throws {
        let pid = try spawnPlain(argv: ["/bin/sleep", "600"], environment: [:])
        defer { TestProcesses.killAll([pid]) }
        let identity = try XCTUnwrap(ProcessIdentity.current(pid: pid))
        XCTAssertEqual(identity.liveness(), .alive)
        var forged = identity
        forged.startTime += 1
        XCTAssertEqual(forged.liveness(), .reused)
        var otherBoot = identity
        otherBoot.bootID = "00000000-0000-0000-0000-000000000000"
        XCTAssertEqual(otherBoot.liveness(), .reused)
        kill(pid, SIGKILL)
        _ = TestProcesses.reap(pid)
        XCTAssertEqual(identity.liveness(), .gone)
    }

    func testStartTimeMapsToWallClock() throws {
        let stat = try ProcStat.read(pid: getpid())
        let started = BootClock.epochSeconds(startTime: stat.startTime)
        let now = Date().timeIntervalSince1970
        XCTAssertLessThanOrEqual(started, now + 1)
        XCTAssertGreaterThan(started, now - 3600 * 24 * 365)
    }
}

final class SnapshotTests: XCTestCase {
    func testSnapshotSeesTreesAndAncestors() throws {
        let pid = try spawnPlain(argv: ["/bin/sh", "-c", "sleep 600 & sleep 600 & wait"], environment: ["PATH": "/usr/bin:/bin"])
        defer {
            let kids = ProcessSnapshot.capture().descendants(of: pid)
            TestProcesses.killAll(kids + [pid])
        }
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ProcessSnapshot.capture().descendants(of: pid).count == 2 })
        let snapshot = ProcessSnapshot.capture()
        let kids = snapshot.descendants(of: pid)
        XCTAssertEqual(kids.count, 2)
        for kid in kids {
            XCTAssertEqual(snapshot[kid]?.ppid, pid)
            XCTAssertEqual(snapshot.ancestors(of: kid).prefix(2), [pid, getpid()])
        }
        XCTAssertEqual(snapshot.descendants(of: pid, stopAt: Set(kids)), [])
        XCTAssertNotNil(snapshot.identity(of: pid))
    }

    /// Processes that exit while /proc is being scanned are simply absent: never an error.
    func testProcessesVanishingMidScanAreNormal() throws {
        let churn = try spawnPlain(argv: ["/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do /bin/true & i=$((i+1)); done; wait"], environment: [:])
        defer { TestProcesses.killAll([churn]) }
        var scans = 0
        while TestProcesses.isAlive(churn) && scans < 200 {
            let snapshot = ProcessSnapshot.capture()
            XCTAssertNotNil(snapshot[getpid()])
            scans += 1
        }
        XCTAssertGreaterThan(scans, 0)
        _ = TestProcesses.reap(churn)
    }

    func testEnvironmentMarkerLookup() throws {
        let marker = TestProcesses.uniqueMarker()
        let pid = try spawnPlain(argv: ["/bin/sleep", "600"], environment: ["OVERSEER_AGENT_ID": marker, "OTHER": "x"])
        defer { TestProcesses.killAll([pid]) }
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ProcessSnapshot.environContains(pid: pid, name: "OVERSEER_AGENT_ID", value: marker) })
        XCTAssertFalse(ProcessSnapshot.environContains(pid: pid, name: "OVERSEER_AGENT_ID", value: String(marker.dropLast())))
        XCTAssertEqual(ProcessSnapshot.environ(of: pid)?["OTHER"], "x")
        XCTAssertEqual(ProcessSnapshot.environValue(pid: pid, name: "OVERSEER_AGENT_ID"), marker)
        XCTAssertNil(ProcessSnapshot.environValue(pid: pid, name: "OVERSEER_AGENT"), "a prefix of a name is not the name")
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker), [pid])
    }
}

/// Kernel threads are recognised by the kernel's PF_KTHREAD flag, never by name.
final class KernelThreadTests: XCTestCase {
    func testFlagsFieldIsParsed() throws {
        let kernel = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0 18446744073709551615\n"
        let stat = try XCTUnwrap(ProcStat.parse(Array(kernel.utf8)))
        XCTAssertEqual(stat.flags, 2_129_984)
        XCTAssertTrue(stat.isKernelThread)
        let user = "4242 (kworker/0:1) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0 0\n"
        XCTAssertFalse(try XCTUnwrap(ProcStat.parse(Array(user.utf8))).isKernelThread, "a name proves nothing")
    }

    func testRealKernelThreadsAndAProcessNamedLikeOne() throws {
        let snapshot = ProcessSnapshot.capture()
        let kernel = snapshot.processes.values.filter(\.isKernelThread)
        if let kthreadd = snapshot[2], kthreadd.ppid == 0 {
            XCTAssertTrue(kthreadd.isKernelThread, "kthreadd carries PF_KTHREAD")
            XCTAssertTrue(kernel.allSatisfy { $0.pid == 2 || $0.ppid == 2 }, "every kernel thread is kthreadd's child")
            XCTAssertGreaterThan(kernel.count, 1)
        }
        XCTAssertFalse(try ProcStat.read(pid: getpid()).isKernelThread)
        // A user process calling itself kthreadd is not one.
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: directory + "/kthreadd")
        let impostor = try spawnPlain(argv: [directory + "/kthreadd", "600"], environment: [:])
        defer { TestProcesses.killAll([impostor]) }
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { (try? ProcStat.read(pid: impostor))?.comm == "kthreadd" })
        XCTAssertFalse(try ProcStat.read(pid: impostor).isKernelThread)
    }
}
