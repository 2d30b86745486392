import Foundation
import OverseerCgroup
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A process as /proc names it: its pid and its start time (clock ticks since boot, field 22
/// of /proc/PID/stat), so a recycled pid is never taken for it.
struct ProcEntry: Hashable, CustomStringConvertible {
    var pid: Int32
    var start: UInt64
    var description: String {
        "\(pid) uid=\(ProcWitness.uid(pid).map(String.init) ?? "-") \(ProcWitness.cmdline(pid).trimmingCharacters(in: .whitespaces).prefix(80).debugDescription)"
    }
}

/// The witness for real daemons: /proc read directly, never through Overseer's parsers or
/// reports, so a wrong answer from the product cannot agree with itself.
enum ProcWitness {
    struct Stat { var state: Character; var ppid: Int32; var session: Int32; var start: UInt64 }

    static func stat(_ pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ppid = Int32(fields[1]), let session = Int32(fields[3]), let start = UInt64(fields[19]) else { return nil }
        return Stat(state: fields[0].first ?? "?", ppid: ppid, session: session, start: start)
    }

    static func pids() -> [Int32] { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init) }

    static func cmdline(_ pid: Int32) -> String {
        String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }

    static func cwd(_ pid: Int32) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") }

    /// The real uid (first field of `Uid:` in /proc/PID/status).
    static func uid(_ pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { UInt32($0) }
    }

    /// The cgroup v2 path of the `0::` line of /proc/PID/cgroup (relative to the hierarchy).
    static func cgroup(_ pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    static func isLive(_ entry: ProcEntry) -> Bool {
        guard let stat = stat(entry.pid) else { return false }
        return stat.start == entry.start && stat.state != "Z" && stat.state != "X"
    }

    /// Live processes that `matches`, with all their live descendants (by ppid).
    static func tree(_ matches: (Int32) -> Bool) -> Set<ProcEntry> {
        var stats: [Int32: Stat] = [:]
        for pid in pids() { if let stat = stat(pid), stat.state != "Z", stat.state != "X" { stats[pid] = stat } }
        var children: [Int32: [Int32]] = [:]
        for (pid, stat) in stats { children[stat.ppid, default: []].append(pid) }
        var found: Set<Int32> = []
        var queue = stats.keys.filter(matches)
        while let pid = queue.popLast() {
            guard found.insert(pid).inserted else { continue }
            queue += children[pid] ?? []
        }
        return Set(found.compactMap { pid in stats[pid].map { ProcEntry(pid: pid, start: $0.start) } })
    }

    /// The first 20 of `entries` by pid, for failure messages.
    static func list(_ entries: Set<ProcEntry>) -> String {
        "\(entries.sorted { $0.pid < $1.pid }.prefix(20).map(\.description))" + (entries.count > 20 ? " and \(entries.count - 20) more" : "")
    }

    /// The number on the first line of a pidfile.
    static func readPid(_ path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// Real daemons (redis, nginx, PostgreSQL as another uid) that daemonize out of an agent's
/// tree, start workers and rewrite their titles: release leaves zero survivors as /proc counts
/// them, and the report names exactly the processes /proc showed. One subclass per mode.
class RealDaemonTestCase: SupervisorTestCase {
    /// Whether the supervisor is given a throwaway cgroup subtree (else `--cgroup-root off`).
    var usesCgroups: Bool { false }
    var subtree: Cgroup?
    var otherCgroups: [Cgroup] = []
    var directories: [String] = []

    override var supervisorArguments: [String] { ["--cgroup-root", subtree?.path ?? "off"] }

    override func setUp() async throws {
        TestProcesses.becomeSubreaper()
        (subtree, otherCgroups, directories) = (nil, [], [])
        if usesCgroups {
            let (made, reason) = TestCgroups.make("daemons")
            guard let made else { throw XCTSkip(reason) }
            subtree = made
        }
        try await super.setUp()
    }

    override func tearDown() async throws {
        try await super.tearDown()
        for cgroup in otherCgroups + [subtree].compactMap({ $0 }) { TestCgroups.destroy(cgroup) }
        for directory in directories { TestProcesses.removeDirectory(directory) }
    }

    /// A temporary directory removed in tearDown.
    func scratchDirectory(_ prefix: String) -> String {
        let directory = TestProcesses.temporaryDirectory(prefix)
        directories.append(directory)
        return directory
    }

    func requireExecutable(_ path: String, package: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("\(path) is not installed (Debian package \(package); Scripts/lib/deps.sh ensure_test_deps installs it)")
        }
    }

    /// Waits for a positive signal; fails the test (with `what`, evaluated then) when it never comes.
    func awaitSignal(_ what: @autoclosure () -> String, timeout: Double = 60, _ condition: () -> Bool) async throws {
        if await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.1, { condition() }) { return }
        throw TestFailure("timed out after \(timeout) s waiting until \(what())")
    }

    /// The agent's shell has exec'd its final `sleep`: whatever it ran before has exited, so the
    /// tree /proc shows is the one the release will find.
    func agentSettled(_ agent: AgentView) -> Bool {
        ProcWitness.cmdline(agent.pid).hasPrefix("/bin/sleep ") && ProcWitness.tree { $0 == agent.pid }.count == 1
    }

    /// Releases `name` and holds the product to the witness: nothing of `daemons` or of the
    /// agent's own tree (both read from /proc just before) nor anything `scan` finds afterwards
    /// is alive, the report is clean, and the processes it says it ended are exactly those.
    @discardableResult
    func releaseAndWitness(_ name: String, agent: AgentView, daemons: Set<ProcEntry>, scan: () -> Set<ProcEntry>, inAgentCgroup: Bool = true, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) async throws -> KillReportView {
        let witnessed = daemons.union(ProcWitness.tree { $0 == agent.pid })
        if let subtree, inAgentCgroup, let hierarchy = CgroupHierarchy.current() {
            let cgroup = String(AgentCgroups(root: subtree).cgroup(forAgent: agent.id).path.dropFirst(hierarchy.mountPoint.count))
            let elsewhere = witnessed.filter { ProcWitness.cgroup($0.pid) != cgroup }
            XCTAssertEqual(elsewhere, [], "the cgroup mode is in force: all in \(cgroup)", file: file, line: line)
        }
        let response = try await client.send(.init(.post, "/v1/agents/\(name)/release"), timeout: .seconds(timeout))
        XCTAssertEqual(response.status, 200, response.text, file: file, line: line)
        let report = try response.decode(ReleaseView.self).report
        let left = witnessed.filter(ProcWitness.isLive).union(scan())
        XCTAssertEqual(left, [], "the witness still sees \(left.count) of \(witnessed.count): \(ProcWitness.list(left))", file: file, line: line)
        XCTAssertTrue(report.clean, "problems: \(report.problems ?? []); survivors: \(report.survivors.prefix(20))", file: file, line: line)
        XCTAssertEqual(report.survivors, [], file: file, line: line)
        XCTAssertEqual(report.cgroup.map { $0.killed && $0.removed }, subtree == nil ? nil : true, "the agent's cgroup: \(String(describing: report.cgroup))", file: file, line: line)
        let ended = Set(report.processes.filter { $0.outcome == .terminated || $0.outcome == .killed }.map { ProcEntry(pid: $0.identity.pid, start: $0.identity.startTime) })
        XCTAssertEqual(ended.count, witnessed.count, "the report's kills vs the count /proc showed", file: file, line: line)
        XCTAssertEqual(ended, witnessed, "in /proc, not in the report: \(ProcWitness.list(witnessed.subtracting(ended))); in the report, not in /proc: \(ProcWitness.list(ended.subtracting(witnessed)))", file: file, line: line)
        return report
    }

    /// redis-server --daemonize yes on a free loopback port: it forks, the parent exits, the
    /// child calls setsid and retitles itself (its environment, and the marker, are gone).
    func runRedis() async throws {
        try requireExecutable("/usr/bin/redis-server", package: "redis-server")
        let directory = scratchDirectory("overseer-redis")
        let port = try TestSockets.freeLoopbackPort()
        let pidfile = directory + "/redis.pid"
        let scan = {
            ProcWitness.tree { pid in
                ProcWitness.cwd(pid) == directory || (ProcWitness.cmdline(pid).contains("redis-server") && ProcWitness.cmdline(pid).contains("127.0.0.1:\(port)"))
            }
        }
        defer { TestProcesses.killAll(scan().map(\.pid)) }
        let redis = "/usr/bin/redis-server --bind 127.0.0.1 --port \(port) --dir \(directory) --pidfile \(pidfile) --logfile \(directory)/redis.log --save '' --appendonly no --daemonize yes"
        let agent = try await spawn("redis", ["/bin/sh", "-c", "\(redis); exec /bin/sleep 600"])
        var daemon: Int32 = 0
        try await awaitSignal("redis wrote its pidfile, runs and left the agent's tree; log: \((try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? "none")") {
            guard let pid = ProcWitness.readPid(pidfile), let stat = ProcWitness.stat(pid), stat.state != "Z" else { return false }
            daemon = pid
            return stat.ppid != agent.pid && ProcWitness.cmdline(pid).contains("127.0.0.1:\(port)") && self.agentSettled(agent)
        }
        let daemons = scan()
        XCTAssertEqual(daemons.map(\.pid), [daemon], "one redis process: \(ProcWitness.list(daemons))")
        try await releaseAndWitness("redis", agent: agent, daemons: daemons, scan: scan)
    }

    /// nginx with a master (daemon on) and four workers, all retitled; as root the workers run
    /// as another uid (nobody).
    func runNginx() async throws {
        try requireExecutable("/usr/sbin/nginx", package: "nginx")
        let directory = scratchDirectory("overseer-nginx")
        let port = try TestSockets.freeLoopbackPort()
        let pidfile = directory + "/nginx.pid"
        let config = """
        daemon on;
        master_process on;
        worker_processes 4;
        pid \(pidfile);
        error_log \(directory)/error.log;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path \(directory)/body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            server { listen 127.0.0.1:\(port); location / { return 204; } }
        }
        """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let scan = { ProcWitness.tree { ProcWitness.cmdline($0).contains(directory) || $0 == ProcWitness.readPid(pidfile) } }
        defer { TestProcesses.killAll(scan().map(\.pid)) }
        let nginx = "/usr/sbin/nginx -p \(directory)/ -c \(directory)/nginx.conf -e \(directory)/error.log"
        let agent = try await spawn("nginx", ["/bin/sh", "-c", "\(nginx); exec /bin/sleep 600"])
        try await awaitSignal("the nginx master (pidfile) left the agent's tree and runs 4 workers: \(ProcWitness.list(scan())); error.log: \((try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? "none")") {
            guard let master = ProcWitness.readPid(pidfile), let stat = ProcWitness.stat(master), stat.state != "Z", stat.ppid != agent.pid, self.agentSettled(agent) else { return false }
            return ProcWitness.tree { $0 == master }.filter { ProcWitness.cmdline($0.pid).contains("nginx: worker process") }.count == 4
        }
        let daemons = scan()
        XCTAssertEqual(daemons.count, 5, "master and 4 workers: \(ProcWitness.list(daemons))")
        try await releaseAndWitness("nginx", agent: agent, daemons: daemons, scan: scan)
    }

    /// PostgreSQL 15 as the postgres uid: initdb into a temporary directory, then the agent
    /// (root) runs pg_ctl start as postgres with an empty environment, which daemonizes the
    /// postmaster (its own session, re-parented); the postmaster starts its background workers,
    /// each in a session of its own.
    func runPostgres() async throws {
        let bin = "/usr/lib/postgresql/15/bin"
        try requireExecutable(bin + "/pg_ctl", package: "postgresql")
        guard let user = getpwnam("postgres") else { throw XCTSkip("no postgres user (Debian package postgresql creates it)") }
        let (uid, gid) = (user.pointee.pw_uid, user.pointee.pw_gid)
        let base = scratchDirectory("overseer-pg")
        let (data, sockets) = (base + "/data", base + "/sock")
        chmod(base, 0o755)
        for directory in [data, sockets] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            chown(directory, uid, gid)
        }
        let asPostgres = ["/usr/bin/setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups"]
        let initdb = try CommandRunner.run(asPostgres + [bin + "/initdb", "--no-sync", "-A", "trust", "-U", "postgres", "-D", data], directory: base)
        XCTAssertEqual(initdb.status, 0, initdb.stdout + initdb.stderr)
        let port = try TestSockets.freeLoopbackPort()
        // Every process of the cluster runs as postgres with its data directory as cwd.
        let scan = { ProcWitness.tree { ProcWitness.uid($0) == uid && (ProcWitness.cwd($0) == data || ProcWitness.cmdline($0).contains(data)) } }
        // Cleanup for a failed release: SIGQUIT to the postmaster (immediate shutdown, which still
        // removes its shared memory), SIGKILL for what is left, then the SysV segment named in
        // postmaster.pid if a SIGKILL stranded it. Dynamic shared memory is kept in the data
        // directory (mmap), removed with it.
        var segment: (key: Int32, id: Int32)?
        defer {
            let left = scan()
            for entry in left { kill(entry.pid, SIGCONT) }
            if let postmaster = left.first(where: { ProcWitness.cmdline($0.pid).hasPrefix(bin + "/postgres ") }) {
                kill(postmaster.pid, SIGQUIT)
                _ = TestProcesses.waitUntil(timeout: 10) { !ProcWitness.isLive(postmaster) }
            }
            TestProcesses.killAll(scan().map(\.pid))
            var info = shmid_ds()
            if let segment, shmctl(segment.id, IPC_STAT, &info) == 0, info.shm_perm.__key == segment.key, info.shm_nattch == 0 { _ = shmctl(segment.id, IPC_RMID, nil) }
        }
        // `env -i`: the postmaster keeps its environment (only its workers' titles overwrite
        // theirs), so without this the marker alone would find the cluster.
        let pgCtl = (asPostgres + ["/usr/bin/env", "-i", bin + "/pg_ctl", "-D", data, "-o", "'-k \(sockets) -p \(port) -c dynamic_shared_memory_type=mmap -c listen_addresses='\"''\"", "-l", data + "/log", "-w", "start"]).joined(separator: " ")
        let agent = try await spawn("postgres", ["/bin/sh", "-c", "\(pgCtl); exec /bin/sleep 600"])
        try await awaitSignal("the postmaster (postmaster.pid) is ready, left the agent's tree and runs its workers: \(ProcWitness.list(scan())); log: \((try? String(contentsOfFile: data + "/log", encoding: .utf8)) ?? "none")") {
            guard let lines = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false),
                  lines.count > 7, lines[7].hasPrefix("ready"), let postmaster = Int32(lines[0]),
                  let stat = ProcWitness.stat(postmaster), stat.state != "Z", stat.ppid != agent.pid, self.agentSettled(agent) else { return false }
            let ids = lines[6].split(separator: " ").compactMap { Int32($0) }
            if ids.count == 2 { segment = (ids[0], ids[1]) }
            return ProcWitness.tree { $0 == postmaster }.contains { ProcWitness.cmdline($0.pid).contains("logical replication launcher") }
        }
        let daemons = scan()
        XCTAssertGreaterThanOrEqual(daemons.count, 6, "postmaster, checkpointer, background writer, walwriter, autovacuum and logical replication launchers: \(ProcWitness.list(daemons))")
        XCTAssertTrue(daemons.allSatisfy { ProcWitness.uid($0.pid) == uid }, "all run as postgres: \(ProcWitness.list(daemons))")
        try await releaseAndWitness("postgres", agent: agent, daemons: daemons, scan: scan)
    }
}

/// Without cgroups: the kernel's fork events (lineage) and /proc markers track the tree.
final class PlainRealDaemonTests: RealDaemonTestCase {
    func testRedisDaemonizedIsReleasedWithZeroSurvivors() async throws { try await runRedis() }
    func testNginxMasterAndWorkersAreReleasedWithZeroSurvivors() async throws { try await runNginx() }
    func testPostgresAsAnotherUidIsReleasedWithZeroSurvivors() async throws { try await runPostgres() }
}

/// With a cgroup subtree: each agent in its own cgroup, released with cgroup.kill and lineage.
final class CgroupRealDaemonTests: RealDaemonTestCase {
    override var usesCgroups: Bool { true }

    func testRedisDaemonizedIsReleasedWithZeroSurvivors() async throws { try await runRedis() }
    func testNginxMasterAndWorkersAreReleasedWithZeroSurvivors() async throws { try await runNginx() }
    func testPostgresAsAnotherUidIsReleasedWithZeroSurvivors() async throws { try await runPostgres() }

    /// A root agent's daemon that moves itself into another cgroup (root may write any
    /// cgroup.procs), then detaches with no marker: cgroup.kill of the agent's cgroup cannot
    /// reach it; the lineage must.
    func testARootDaemonThatLeftTheAgentsCgroupIsReleased() async throws {
        let subtree = try XCTUnwrap(subtree)
        let (made, reason) = TestCgroups.make("elsewhere")
        guard let other = made else { throw XCTSkip(reason) }
        otherCgroups.append(other)
        let hierarchy = try XCTUnwrap(CgroupHierarchy.current())
        let relative = { (cgroup: Cgroup) in String(cgroup.path.dropFirst(hierarchy.mountPoint.count)) }
        let token = "cgleaver-" + TestProcesses.uniqueMarker()
        defer { CmdlineWitness.killAll(token) }
        let script = scratchDirectory("overseer-cgleaver") + "/leave.sh"
        try """
        /usr/bin/env -i /usr/bin/setsid -f /bin/sh -c 'echo $$ > "$1/cgroup.procs" && exec /usr/bin/perl -e "\\$0 = q(\(token)); sleep 600"' sh \(other.path)
        exec /bin/sleep 600
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let agent = try await spawn("leaver", ["/bin/sh", script])
        let agentCgroup = relative(AgentCgroups(root: subtree).cgroup(forAgent: agent.id))
        XCTAssertEqual(ProcWitness.cgroup(agent.pid), agentCgroup, "the agent was born in its cgroup")
        try await awaitSignal("the daemon is in the other cgroup and left the agent's tree: \(CmdlineWitness.pids(token).map { "\($0) \(ProcWitness.cgroup($0) ?? "-")" })") {
            let pids = CmdlineWitness.pids(token)
            return pids.count == 1 && ProcWitness.cgroup(pids[0]) == relative(other) && ProcWitness.stat(pids[0])?.ppid != agent.pid && self.agentSettled(agent)
        }
        let daemon = try XCTUnwrap(CmdlineWitness.pids(token).first)
        XCTAssertNotEqual(ProcWitness.cgroup(daemon), agentCgroup, "it really left the agent's cgroup")
        XCTAssertFalse(CmdlineWitness.environ(daemon).contains("OVERSEER_AGENT_ID"), "it carries no marker")
        let daemons = ProcWitness.tree { $0 == daemon }
        try await releaseAndWitness("leaver", agent: agent, daemons: daemons, scan: { ProcWitness.tree { CmdlineWitness.pids(token).contains($0) } }, inAgentCgroup: false)
        XCTAssertEqual(CmdlineWitness.pids(token), [], "the token's witness")
        XCTAssertEqual(try other.processes(), [], "the other cgroup is empty")
    }
}
