import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A 3,000-process tree released by a supervisor whose soft and hard RLIMIT_NOFILE are both
/// 1024 (it raises soft to hard at start, so both are pinned): the kill engine cannot hold a
/// descriptor per member and must still end every one of them.
class LargeTreeTestCase: RealDaemonTestCase {
    static let leaders = 10
    static let perLeader = 299
    /// The agent's root, its leaders and their children, all carrying the token in argv.
    static var treeSize: Int { 1 + leaders + leaders * perLeader }

    override var supervisorWrapper: [String] { ["/usr/bin/prlimit", "--nofile=1024:1024", "--"] }

    /// Why this machine cannot host the tree (with headroom for everything else), or nil.
    static func capacityProblem(adding count: Int) -> String? {
        let headroom = 2_000
        func number(_ path: String) -> Int? { (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        // The fourth field of /proc/loadavg is running/total scheduling entities (threads).
        let loadavg = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        let tasks = loadavg.split(separator: " ").dropFirst(3).first?.split(separator: "/").last.flatMap { Int($0) } ?? 0
        for (name, path) in [("kernel.pid_max", "/proc/sys/kernel/pid_max"), ("kernel.threads-max", "/proc/sys/kernel/threads-max")] {
            guard let limit = number(path) else { return "cannot read \(path)" }
            if tasks + count + headroom > limit { return "\(name) is \(limit) and \(tasks) tasks exist: no room for \(count) more (+\(headroom))" }
        }
        var nproc = rlimit()
        if geteuid() != 0, getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &nproc) == 0, nproc.rlim_cur != rlim_t.max, Int(nproc.rlim_cur) < tasks + count + headroom {
            return "ulimit -u is \(nproc.rlim_cur): no room for \(count) more processes"
        }
        return nil
    }

    /// Soft and hard "Max open files" of a process, from /proc/PID/limits.
    static func openFileLimits(_ pid: Int32) -> (soft: String, hard: String)? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 5 else { return nil }
        return (String(fields[3]), String(fields[4]))
    }

    func runLargeTree() async throws {
        if let problem = Self.capacityProblem(adding: Self.treeSize) { throw XCTSkip(problem) }
        let limits = Self.openFileLimits(supervisor.pid)
        XCTAssertEqual(limits?.soft, "1024", "the supervisor's soft RLIMIT_NOFILE")
        XCTAssertEqual(limits?.hard, "1024", "the supervisor's hard RLIMIT_NOFILE")
        let token = "bigtree-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        // Ten leaders, half in sessions of their own (setsid), half in groups of their own
        // (setpgrp), each forking 299 sleepers at a gentle pace; every third group ignores
        // TERM and HUP (so SIGKILL has to finish them). A failed fork (EAGAIN) is retried.
        let fixture = #"""
        use POSIX ();
        my ($leaders, $per) = (\#(Self.leaders), \#(Self.perLeader));
        sub fork_retrying { while (1) { my $p = fork; return $p if defined $p; select(undef, undef, undef, 0.05) } }
        for my $g (1 .. $leaders) {
            next if fork_retrying();
            if ($g % 2) { POSIX::setsid() } else { setpgrp(0, 0) }
            $SIG{TERM} = $SIG{HUP} = 'IGNORE' if $g % 3 == 0;
            for (1 .. $per) { if (!fork_retrying()) { sleep 600 while 1 } select(undef, undef, undef, 0.004) }
            sleep 600 while 1;
        }
        sleep 600 while 1;
        """#
        let agent = try await spawn("bigtree", ["/usr/bin/perl", "-e", fixture, token])
        let full = await TestProcesses.waitUntilAsync(timeout: 120, interval: 0.5) { CmdlineWitness.pids(token).count >= Self.treeSize }
        let counted = CmdlineWitness.pids(token).count
        XCTAssertTrue(full, "the witness counts \(counted) of \(Self.treeSize)")
        guard full else { return }
        let tree = ProcWitness.tree { ProcWitness.cmdline($0).contains(token) }
        XCTAssertEqual(tree.count, Self.treeSize, "the token's processes are exactly the agent's tree")
        let sessions = Set(tree.compactMap { ProcWitness.stat($0.pid)?.session })
        XCTAssertGreaterThan(sessions.count, 5, "several sessions, not one group to killpg")

        let report = try await releaseAndWitness("bigtree", agent: agent, daemons: tree, scan: { ProcWitness.tree { ProcWitness.cmdline($0).contains(token) } }, timeout: 240)
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the token's witness after the release")
        XCTAssertEqual(report.processes.filter { $0.outcome == .killed || $0.outcome == .terminated }.count, tree.count, "the report's kills equal the ground truth")
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid), "the supervisor survived its own release; log:\n\(supervisor.log_().suffix(2000))")
        let listed = try await client.send(.get("/v1/agents"))
        XCTAssertEqual(listed.status, 200, "the supervisor still answers")
    }
}

final class PlainLargeTreeRealDaemonTests: LargeTreeTestCase {
    func testA3000ProcessTreeIsReleasedWithTheDescriptorLimitAt1024() async throws { try await runLargeTree() }
}

final class CgroupLargeTreeRealDaemonTests: LargeTreeTestCase {
    override var usesCgroups: Bool { true }

    func testA3000ProcessTreeIsReleasedWithTheDescriptorLimitAt1024() async throws { try await runLargeTree() }
}
