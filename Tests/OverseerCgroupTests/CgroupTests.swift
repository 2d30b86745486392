import COverseerSys
import Foundation
import OverseerCgroup
import OverseerProcess
import OverseerPTY
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Real cgroup v2 directories on this machine: processes born inside them, cgroup.kill,
/// removal, and the `cgroup_root` selection rules.
final class CgroupTests: XCTestCase {
    var cgroup: Cgroup!
    var started: [Int32] = []

    override func setUpWithError() throws {
        TestProcesses.becomeSubreaper()
        let (made, reason) = TestCgroups.make(name.filter(\.isLetter).suffix(20).description)
        guard let made else { throw XCTSkip(reason) }
        cgroup = made
        started = []
    }

    override func tearDown() {
        TestProcesses.killAll(started)
        if let cgroup { TestCgroups.destroy(cgroup) }
        XCTAssertFalse(cgroup?.exists ?? false, "test cgroup left behind")
    }

    func spawnInto(_ target: Cgroup, _ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"]) throws -> Int32 {
        let fd = try target.openDirectory()
        defer { close(fd) }
        let pid = try spawnPlain(argv: ["/bin/sh", "-c", script], environment: environment, newSession: true, cgroupFD: fd)
        started.append(pid)
        return pid
    }

    func testProcessIsBornInsideTheCgroup() throws {
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        let out = TestProcesses.temporaryDirectory("cg-born") + "/cgroup"
        defer { TestProcesses.removeDirectory((out as NSString).deletingLastPathComponent) }
        // The child records its own membership before running anything else.
        let pid = try spawnInto(cgroup, "cat /proc/self/cgroup > \(out); exec sleep 600")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("0::") })
        let recorded = try String(contentsOfFile: out, encoding: .utf8)
        let relative = String(cgroup.path.dropFirst(hierarchy.mountPoint.count))
        XCTAssertTrue(recorded.contains("0::\(relative)\n"), "recorded \(recorded), expected \(relative)")
        XCTAssertEqual(hierarchy.cgroup(of: pid), cgroup)
        XCTAssertEqual(try cgroup.processes(), [pid])
        XCTAssertTrue(try cgroup.isPopulated())
    }

    func testPTYSpawnLandsInTheCgroupWithAControllingTerminal() throws {
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        let fd = try cgroup.openDirectory()
        defer { close(fd) }
        let spec = SpawnSpec(argv: ["/bin/sh", "-c", "tty; ps -o tty= -p $$; echo sid=$(ps -o sid= -p $$ | tr -d ' ') pid=$$; exec sleep 600"], environment: ["PATH": "/usr/bin:/bin"])
        let spawned = try Spawner.spawnInPTY(spec, cgroupFD: fd)
        started.append(spawned.pid)
        defer { close(spawned.masterFD) }
        let output = TestProcesses.readPTY(spawned.masterFD, until: "pid=\(spawned.pid)")
        XCTAssertTrue(output.contains(spawned.slavePath), output)
        XCTAssertTrue(output.contains("sid=\(spawned.pid) pid=\(spawned.pid)"), "session leader: \(output)")
        XCTAssertFalse(output.contains("?"), "has a controlling terminal: \(output)")
        XCTAssertEqual(hierarchy.cgroup(of: spawned.pid), cgroup)
    }

    func testExecFailureIsReportedAndLeavesNothing() throws {
        let directory = TestProcesses.temporaryDirectory("cg-exec")
        defer { TestProcesses.removeDirectory(directory) }
        let script = directory + "/not-a-program"
        try "no interpreter line\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let fd = try cgroup.openDirectory()
        defer { close(fd) }
        XCTAssertThrowsError(try Spawner.spawn(SpawnSpec(argv: [script], environment: [:]), cgroupFD: fd)) { error in
            XCTAssertTrue("\(error)".contains("not-a-program"), "\(error)")
        }
        XCTAssertEqual(try cgroup.allProcesses(), [])
        XCTAssertEqual(TestProcesses.zombies(parent: getpid()), [])
    }

    func testCgroupKillTakesEscapedDaemonsThatIgnoreSignals() throws {
        // A daemon that left the session and the ppid tree, ignores TERM and HUP and carries
        // no marker: only its cgroup still knows it belongs to the agent.
        let pidfile = TestProcesses.temporaryDirectory("cg-kill") + "/daemon.pid"
        defer { TestProcesses.removeDirectory((pidfile as NSString).deletingLastPathComponent) }
        _ = try spawnInto(cgroup, #"trap '' TERM HUP; (setsid sh -c 'sleep 600 & echo $! > \#(pidfile)' &); sleep 600"#)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { (try? String(contentsOfFile: pidfile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } != nil })
        let daemon = try XCTUnwrap(Int32(try String(contentsOfFile: pidfile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        started.append(daemon)
        XCTAssertNotEqual(try ProcStat.read(pid: daemon).ppid, started[0], "the daemon left the tree")
        let members = try cgroup.allProcesses()
        XCTAssertTrue(members.contains(daemon))

        try cgroup.kill()
        XCTAssertTrue(cgroup.waitUntilEmpty(timeoutSeconds: 5))
        TestProcesses.reapZombieChildren()
        for pid in members { XCTAssertFalse(TestProcesses.isAlive(pid), "pid \(pid) survived cgroup.kill") }
        try cgroup.remove()
        XCTAssertFalse(cgroup.exists)
    }

    func testRemoveTakesNestedEmptyCgroupsAndRefusesPopulatedOnes() throws {
        let inner = cgroup.child("agents").child("a1")
        try cgroup.child("agents").create()
        try inner.create()
        _ = try spawnInto(inner, "exec sleep 600")
        XCTAssertThrowsError(try cgroup.remove()) { error in
            guard case CgroupError.system(let failure) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.operation, "rmdir")
            XCTAssertEqual(failure.path, inner.path)
            XCTAssertEqual(failure.errno.rawValue, EBUSY)
        }
        XCTAssertTrue(inner.exists, "a populated cgroup is never removed")
        try inner.kill()
        XCTAssertTrue(inner.waitUntilEmpty(timeoutSeconds: 5))
        TestProcesses.reapZombieChildren()
        try cgroup.remove()
        XCTAssertFalse(cgroup.exists)
    }

    func testSelectionFollowsTheSetting() throws {
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        let state = "/var/lib/overseer-test"
        XCTAssertNil(try AgentCgroups.select("off", stateDirectory: state, hierarchy: hierarchy).cgroups)
        XCTAssertEqual(try AgentCgroups.select(cgroup.path, stateDirectory: state, hierarchy: hierarchy).cgroups, AgentCgroups(root: cgroup, origin: .configured))
        assertThrows(CgroupError.notInHierarchy(path: "/tmp")) { try AgentCgroups.select("/tmp", stateDirectory: state, hierarchy: hierarchy) }
        assertThrows(CgroupError.notInHierarchy(path: cgroup.path + "/../escape")) { try AgentCgroups.select(cgroup.path + "/../escape", stateDirectory: state, hierarchy: hierarchy) }
        assertThrows(CgroupError.missing(path: cgroup.path + "/missing")) { try AgentCgroups.select(cgroup.path + "/missing", stateDirectory: state, hierarchy: hierarchy) }
        // The test runner's own cgroup carries no delegation mark from systemd: root on a
        // writable hierarchy gets a subtree of its own, keyed by the state directory; anyone
        // else gets none, and the reason says why.
        let own = try XCTUnwrap(hierarchy.cgroup(of: 0))
        if !CgroupHierarchy.isDelegated(own) {
            let (created, reason) = try AgentCgroups.select("auto", stateDirectory: state, hierarchy: hierarchy, isRoot: true)
            XCTAssertEqual(created, AgentCgroups.created(in: hierarchy, stateDirectory: state))
            XCTAssertEqual(created?.origin, .created)
            XCTAssertEqual(created?.root.parent?.path, hierarchy.mountPoint + "/overseer")
            XCTAssertTrue(reason.contains("not delegated") && reason.contains("of its own"), reason)
            let (none, why) = try AgentCgroups.select("auto", stateDirectory: state, hierarchy: hierarchy, isRoot: false)
            XCTAssertNil(none)
            XCTAssertTrue(why.contains("only root"), why)
        }
        // One subtree per state directory, the same one every time (trailing slash or not).
        XCTAssertEqual(AgentCgroups.created(in: hierarchy, stateDirectory: state), AgentCgroups.created(in: hierarchy, stateDirectory: state + "/"))
        XCTAssertNotEqual(AgentCgroups.created(in: hierarchy, stateDirectory: state), AgentCgroups.created(in: hierarchy, stateDirectory: state + "2"))
        XCTAssertEqual(AgentCgroups.created(in: hierarchy, stateDirectory: state).root.name.count, 16)
        // A cgroup marked the way systemd marks Delegate=yes units is chosen by auto.
        XCTAssertEqual(ov_set_xattr(cgroup.path, "trusted.delegate", "1", 1), 0)
        XCTAssertTrue(CgroupHierarchy.isDelegated(cgroup))
    }

    /// A created subtree: made with `<mount>/overseer` above it, the supervisor not moved,
    /// kept while an agent cgroup is populated and removed once it is empty.
    func testACreatedSubtreeHoldsAgentsOnlyAndIsRemovedWhenEmpty() throws {
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        let layout = AgentCgroups.created(in: hierarchy, stateDirectory: "/tmp/overseer-cgroup-test-\(getpid())-\(TestProcesses.uniqueMarker())")
        defer { TestCgroups.destroy(layout.root) }
        let before = hierarchy.cgroup(of: 0)
        XCTAssertEqual(try layout.adopt(), [])
        XCTAssertEqual(hierarchy.cgroup(of: 0), before, "the supervisor stays where it was started")
        XCTAssertFalse(layout.supervisor.exists)
        XCTAssertTrue(layout.agents.supportsKill)
        let agent = layout.cgroup(forAgent: "a1")
        try agent.create()
        let pid = try spawnInto(agent, "exec sleep 600")
        XCTAssertEqual(hierarchy.cgroup(of: pid), agent)
        XCTAssertFalse(layout.relinquish(), "a populated agent cgroup keeps the subtree")
        XCTAssertTrue(agent.exists)
        try agent.kill()
        XCTAssertTrue(agent.waitUntilEmpty(timeoutSeconds: 10))
        TestProcesses.reapZombieChildren()
        XCTAssertTrue(layout.relinquish())
        XCTAssertFalse(layout.root.exists)
        XCTAssertFalse(AgentCgroups(root: cgroup, origin: .configured).relinquish(), "a subtree someone else made is theirs to remove")
        XCTAssertTrue(cgroup.exists)
    }

    func testAdoptCreatesTheLayoutAndClearsEmptyLeftovers() throws {
        let layout = AgentCgroups(root: cgroup)
        try layout.agents.create()
        let stale = layout.cgroup(forAgent: "stale")
        let busy = layout.cgroup(forAgent: "busy")
        try stale.create()
        try busy.create()
        _ = try spawnInto(busy, "exec sleep 600")
        // A stand-in supervisor (moving the test runner itself would strand it in the cgroup).
        let supervisor = try spawnInto(cgroup, "exec sleep 600")
        let removed = try layout.adopt(pid: supervisor)
        XCTAssertEqual(CgroupHierarchy.current()?.cgroup(of: supervisor), layout.supervisor)
        XCTAssertEqual(try cgroup.processes(), [], "no process left in the inner node")
        XCTAssertEqual(removed, [stale])
        XCTAssertFalse(stale.exists)
        XCTAssertTrue(busy.exists, "a populated leftover stays for the reaper")
    }

    func testMountInfoPathsAreUnescaped() {
        XCTAssertEqual(unescapeForTest("/sys/fs/cgroup"), "/sys/fs/cgroup")
        XCTAssertEqual(unescapeForTest("/mnt/with\\040space"), "/mnt/with space")
    }
}

private func unescapeForTest(_ text: String) -> String { CgroupHierarchy.unescapeMountPath(text) }
