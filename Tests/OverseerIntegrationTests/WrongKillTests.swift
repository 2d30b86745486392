import Foundation
import OverseerProcess
import OverseerReaper
import OverseerRegistry
import OverseerTestSupport
import XCTest

/// Registries that point the reaper at innocent processes: nothing innocent is signalled
/// (checked in /proc: still running, same start time), and the report says why.
final class WrongKillTests: ReaperTestCase {
    /// A start time read now, to prove afterwards that the very same process still runs.
    func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = try? ProcStat.read(pid: pid), !stat.state.isExited else { return nil }
        return stat.startTime
    }

    func lstart(of pid: Int32) throws -> String {
        let stat = try ProcStat.read(pid: pid)
        return LStart.format(epochSeconds: BootClock.epochSeconds(startTime: stat.startTime))
    }

    func writeFactory(_ agents: String, name: String = "factory.json") throws -> String {
        let path = directory + "/" + name
        try #"{"pid": 999999999, "updatedAtMs": 1767225600000, "agents": [\#(agents)]}"#.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    func testAnEntryNamingKthreaddSignalsNoKernelThread() throws {
        guard let kthreadd = try? ProcStat.read(pid: 2), kthreadd.isKernelThread else { throw XCTSkip("kthreadd is not visible here (a pid namespace)") }
        let kernelBefore = ProcessSnapshot.capture().processes.values.filter(\.isKernelThread)
        let identity = ProcessIdentity(pid: 2, startTime: kthreadd.startTime, bootID: BootID.current)
        try writeRegistry([entry(id: TestProcesses.uniqueMarker(), name: "kernel", roots: [identity])])
        let factory = try writeFactory(#"{"name": "kernel", "pids": [2], "processes": [{"pid": 2, "cmdline": "", "startTime": "\#(try lstart(of: 2))"}]}"#)

        for registry in [registryPath, factory] {
            let (result, report) = try reap(registry: registry)

            XCTAssertEqual(result.status, 0, result.stderr)
            let parsed = try XCTUnwrap(report, result.stdout)
            XCTAssertEqual(parsed.reaped, [], "no kernel thread signalled")
            XCTAssertEqual(parsed.skipped.filter { $0.pid == 2 }.map(\.reason), ["kernel thread"], result.stdout)
            XCTAssertFalse(result.stderr.contains("reaped agent"), result.stderr)
        }
        for thread in kernelBefore {
            guard let now = try? ProcStat.read(pid: thread.pid) else { continue } // kworkers come and go
            if now.startTime == thread.startTime { XCTAssertNotEqual(now.state, .stopped, "kernel thread \(thread.pid) stopped") }
        }
        XCTAssertEqual(startTime(2), kthreadd.startTime)
    }

    /// The factory-sdk writes entries listing its broker's pid and expects `{pid, reason: "protected pid"}`,
    /// whether the pid is bare, carries another start time, or another command line.
    func testABrokersPidListedByAnyRegistryIsReportedProtected() throws {
        let broker = try spawnPlain(argv: ["/bin/sleep", "600"], environment: [:])
        started.append(broker)
        let brokerStart = try XCTUnwrap(startTime(broker))
        let factory = try writeFactory("""
        {"name": "bare", "pids": [\(broker)]},
        {"name": "stale", "processes": [{"pid": \(broker), "agentName": "stale", "cmdline": "node agent.js", "startTime": "Mon Jun  8 12:00:00 2026"}]},
        {"name": "exact", "processes": [{"pid": \(broker), "agentName": "exact", "cmdline": "/bin/sleep 600", "startTime": "\(try lstart(of: broker))"}]}
        """)
        var stale = try XCTUnwrap(ProcessIdentity.current(pid: broker))
        stale.startTime -= 3
        try writeRegistry([entry(id: TestProcesses.uniqueMarker(), name: "ours", roots: [stale])])

        let (fromFactory, factoryReport) = try reap(["--protect-pid", "\(broker)"], registry: factory)
        let (fromOurs, oursReport) = try reap(["--protect-pid", "\(broker)"])

        XCTAssertEqual(fromFactory.status, 0, fromFactory.stderr)
        XCTAssertEqual(fromOurs.status, 0, fromOurs.stderr)
        let skips = (factoryReport?.skipped ?? []) + (oursReport?.skipped ?? [])
        for agent in ["bare", "stale", "exact", "ours"] {
            XCTAssertEqual(skips.filter { $0.agent == agent && $0.pid == broker }.map(\.reason), ["protected pid"], "\(agent): \(fromFactory.stdout) \(fromOurs.stdout)")
        }
        XCTAssertEqual((factoryReport?.reaped ?? []) + (oursReport?.reaped ?? []), [])
        XCTAssertEqual(startTime(broker), brokerStart, "the broker still runs")
    }

    /// An entry whose root is a live `overseer serve` the registry's supervisor record does
    /// not name: the supervisor and its agent are left alone.
    func testAnEntryNamingAnUnnamedLiveSupervisorLeavesItAndItsAgentsAlone() throws {
        let other = try SupervisorProcess()
        defer { other.stop(); other.removeFiles() }
        let spawned = try CommandRunner.run([SupervisorProcess.binaryPath, "spawn", "--socket", other.socketPath, "bystander", "--", "sleep", "600"], directory: other.directory)
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        let agent = try XCTUnwrap(ProcessSnapshot.capture().descendants(of: other.pid).first)
        let supervisorStart = try XCTUnwrap(startTime(other.pid))
        let agentStart = try XCTUnwrap(startTime(agent))
        let root = try XCTUnwrap(ProcessIdentity.current(pid: other.pid))
        // The record names a supervisor long gone; the entry's root is the live one.
        let gone = #"{"identity": {"pid": 4194303, "start_time": 1, "boot_id": "\#(BootID.current)"}, "status": "running", "heartbeat_at": 1}"#
        try writeRegistry([entry(id: TestProcesses.uniqueMarker(), name: "hostile", state: "running", roots: [root])], supervisor: gone)

        let (result, report) = try reap()

        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(report?.reaped ?? [], [], result.stdout)
        XCTAssertEqual(report?.skipped.filter { $0.pid == other.pid }.map(\.reason), ["protected pid"], result.stdout)
        XCTAssertEqual(startTime(other.pid), supervisorStart, "the supervisor still runs")
        XCTAssertEqual(startTime(agent), agentStart, "its agent still runs")
    }

    /// A factory pid recycled within the same second by another program: its start time
    /// matches the recorded `lstart` to the second, its command line does not. Made
    /// deterministic in a private pid namespace, where `ns_last_pid` picks the next pid.
    func testAFactoryPidRecycledWithinTheSameSecondIsNotKilled() throws {
        guard geteuid() == 0 else { throw XCTSkip("a private pid namespace needs root") }
        let script = directory + "/recycle.sh"
        try Self.recycleScript.write(toFile: script, atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
        let run = try CommandRunner.run(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", script, SupervisorProcess.binaryPath, directory],
                                        environment: ["OVERSEER_STATE_DIR": directory + "/state"], directory: directory, timeout: 60)
        if run.status == 77 || run.stderr.contains("unshare failed") { throw XCTSkip("no private pid namespace here: \(run.stderr)") }
        XCTAssertEqual(run.status, 0, "script: \(run.stdout) \(run.stderr)")
        func value(_ name: String) throws -> String {
            try String(contentsOfFile: directory + "/" + name, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let reapErrors = try value("reap.err")
        XCTAssertEqual(try value("reap.rc"), "0", reapErrors)
        let report = try JSONDecoder().decode(ReapReport.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/reap.json")))
        let innocent = try XCTUnwrap(Int32(try value("innocent.pid")))
        XCTAssertEqual(try value("recorded.lstart"), try value("innocent.lstart"), "the recycled pid's start time matches the record to the second")
        XCTAssertEqual(try value("innocent.after"), try value("innocent.before"), "the innocent still runs, same start time")
        XCTAssertEqual(report.skipped.filter { $0.pid == innocent }.map(\.reason), ["identity mismatch"], "\(report.skipped)")
        XCTAssertFalse(report.reaped.contains { $0.pid == innocent })
        // The control: the same record with the right command line is killed.
        let genuine = try XCTUnwrap(Int32(try value("genuine.pid")))
        XCTAssertEqual(report.reaped.filter { $0.agent == "genuine" }.map(\.pid), [genuine])
        XCTAssertEqual(try value("genuine.after"), "gone")
    }

    /// Runs as pid 1 of a fresh pid namespace: $1 the overseer binary, $2 the directory.
    static let recycleScript = #"""
    set -u
    overseer=$1; dir=$2
    stat_start() { [ -r /proc/$1/stat ] && awk '{ if ($3 != "Z") print $22; else print "gone" }' /proc/$1/stat 2>/dev/null || echo gone; }
    echo 99 > /proc/sys/kernel/ns_last_pid || { echo "unshare failed: ns_last_pid" >&2; exit 77; }
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        echo 99 > /proc/sys/kernel/ns_last_pid
        sleep 1000 & agent=$!
        recorded=$(ps -o lstart= -p $agent)
        kill -9 $agent; wait $agent 2>/dev/null
        echo 99 > /proc/sys/kernel/ns_last_pid
        sleep 1001 & innocent=$!
        if [ "$innocent" = "$agent" ] && [ "$(ps -o lstart= -p $innocent)" = "$recorded" ]; then break; fi
        kill -9 $innocent; wait $innocent 2>/dev/null; innocent=""
    done
    [ -n "$innocent" ] || { echo "could not recycle a pid within one second" >&2; exit 1; }
    echo 199 > /proc/sys/kernel/ns_last_pid
    sleep 1002 & genuine=$!
    echo "$recorded" > $dir/recorded.lstart
    ps -o lstart= -p $innocent > $dir/innocent.lstart
    echo $innocent > $dir/innocent.pid
    echo $genuine > $dir/genuine.pid
    stat_start $innocent > $dir/innocent.before
    cat > $dir/factory.json <<EOF
    {"pid": 999999999, "updatedAtMs": 1767225600000, "agents": [
      {"name": "recycled", "processes": [{"pid": $innocent, "agentName": "recycled", "cmdline": "sleep 1000", "startTime": "$recorded"}]},
      {"name": "genuine", "processes": [{"pid": $genuine, "agentName": "genuine", "cmdline": "sleep 1002", "startTime": "$(ps -o lstart= -p $genuine)"}]}
    ]}
    EOF
    chmod 600 $dir/factory.json
    "$overseer" reap --json --registry $dir/factory.json --kill-grace 1 --config $dir/none.toml > $dir/reap.json 2> $dir/reap.err
    echo $? > $dir/reap.rc
    stat_start $innocent > $dir/innocent.after
    wait $genuine 2>/dev/null
    stat_start $genuine > $dir/genuine.after
    kill -9 $innocent
    exit 0
    """#

    /// A daemon that left its agent's tree, session and environment (`env -i`, setsid,
    /// double fork) but still carries `--agent-name`: the first pass kills the tree, sees
    /// the daemon still running, reports it and keeps the entry; the next pass finds it by
    /// name, kills it, and only then removes the entry.
    func testAnEntryIsKeptUntilAPassSeesItsTreeGone() throws {
        let name = "keep-\(UInt32.random(in: 0...UInt32.max))"
        let tree = try strandedTree(#"(env -i setsid perl -e 'sleep 600' -- --agent-name \#(name) &); sleep 600 & wait"#, minimum: 2)
        var daemon: Int32?
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) {
            daemon = ProcessSnapshot.listPIDs().first { (ProcessSnapshot.cmdline(of: $0) ?? []).suffix(2) == ["--agent-name", name] }
            return daemon != nil
        })
        let escaped = try XCTUnwrap(daemon)
        started.append(escaped)
        XCTAssertNil(ProcessSnapshot.environValue(pid: escaped, name: "OVERSEER_AGENT_ID"), "the daemon dropped the marker")
        try writeRegistry([entry(id: tree.marker, name: name, roots: [tree.root])])

        let (first, firstReport) = try reap()

        XCTAssertEqual(first.status, 2, "survivors: \(first.stdout) \(first.stderr)")
        XCTAssertFalse(TestProcesses.isAlive(tree.root.pid))
        XCTAssertEqual(firstReport?.survivors.map(\.identity.pid), [escaped], first.stdout)
        XCTAssertEqual(firstReport?.consumed, [])
        XCTAssertEqual(try registryAgents().first?["reap_attempts"] as? Int, 1, "kept with an attempt count")

        let (second, secondReport) = try reap()

        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        XCTAssertEqual(secondReport?.reaped.map(\.pid), [escaped])
        XCTAssertFalse(TestProcesses.isAlive(escaped))
        XCTAssertEqual(secondReport?.consumed, [name])
        XCTAssertEqual(try registryAgents().count, 0)
    }
}
