import Foundation
import OverseerProcess
import OverseerReaper
import OverseerTestSupport
import XCTest

/// `overseer reap` against real stranded trees and hand-written registries.
final class ReaperTests: ReaperTestCase {
    func testHandoffEntriesAreReapedWithZeroSurvivorsAndConsumed() throws {
        let a = try strandedTree()
        let b = try strandedTree()
        let before = Set(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", a.marker) + TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", b.marker))
        try writeRegistry([entry(id: a.marker, name: "a", roots: [a.root]), entry(id: b.marker, name: "b", roots: [b.root])])

        let (result, report) = try reap()

        XCTAssertEqual(result.status, 0, result.stderr)
        let parsed = try XCTUnwrap(report, result.stdout)
        XCTAssertEqual(Set(parsed.reaped.map(\.pid)), before, "the report lists every pid")
        XCTAssertEqual(parsed.survivors, [])
        XCTAssertEqual(Set(parsed.consumed), ["a", "b"])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", a.marker), [])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", b.marker), [])
        XCTAssertEqual(try registryAgents().count, 0, "entries consumed")
        XCTAssertTrue(result.stderr.contains("reaped"), "one journal line per action: \(result.stderr)")
        let metrics = try String(contentsOfFile: directory + "/state/metrics/overseer-reap.prom", encoding: .utf8)
        XCTAssertTrue(metrics.contains("overseer_reap_passes_total 1"), metrics)
        XCTAssertTrue(metrics.contains("overseer_reap_processes_reaped_total \(before.count)"), metrics)
    }

    func testProtectedBrokerListedAmongTheRootsSurvives() throws {
        // A broker shell that is the parent of the agent tree, listed (wrongly) as one of its roots.
        let pidfile = directory + "/broker.pid"
        let broker = try spawnPlain(argv: ["/bin/sh", "-c", "echo $$ > \(pidfile); OVERSEER_AGENT_ID=$0 sh -c 'sleep 600 & wait' & exec sleep 600", "brokered-\(UInt32.random(in: 0...UInt32.max))"], environment: ["PATH": "/usr/bin:/bin"], newSession: true)
        started.append(broker)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ProcessSnapshot.capture().descendants(of: broker).count == 2 })
        let agentRoot = try XCTUnwrap(ProcessSnapshot.capture().descendants(of: broker).min())
        let brokerID = try XCTUnwrap(ProcessIdentity.current(pid: broker))
        let agentID = try XCTUnwrap(ProcessIdentity.current(pid: agentRoot))
        try writeRegistry([entry(id: "brokered", name: "worker", roots: [brokerID, agentID])])

        let (result, report) = try reap(["--protect-pidfile", pidfile])

        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(TestProcesses.isAlive(broker), "the broker survives")
        XCTAssertTrue(report?.skipped.contains { $0.pid == broker && $0.reason == "protected pid" } ?? false, result.stdout)
        XCTAssertFalse(TestProcesses.isAlive(agentRoot))
        // (A killed child of the broker stays a zombie until the broker, not us, reaps it.)
        XCTAssertEqual(ProcessSnapshot.capture().descendants(of: broker).filter(TestProcesses.isAlive), [])
    }

    func testRecycledPidIsAnIdentityMismatchAndNotSignalled() throws {
        let innocent = try spawnPlain(argv: ["/bin/sleep", "600"], environment: [:])
        started.append(innocent)
        var stale = try XCTUnwrap(ProcessIdentity.current(pid: innocent))
        stale.startTime -= 7
        try writeRegistry([entry(id: TestProcesses.uniqueMarker(), name: "gone", roots: [stale])])

        let (result, report) = try reap()

        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(TestProcesses.isAlive(innocent), "a process that merely holds the pid is never killed")
        XCTAssertEqual(report?.reaped.count, 0)
        XCTAssertTrue(report?.skipped.contains { $0.pid == innocent && $0.reason == "identity mismatch" } ?? false, result.stdout)
        XCTAssertEqual(report?.consumed, ["gone"], "nothing of the agent is alive: the entry is consumed")
    }

    func testForkStormConvergesToZeroSurvivors() throws {
        let storm = try strandedTree("trap '' TERM; while :; do sleep 600 & sleep 0.01; done", minimum: 20)
        try writeRegistry([entry(id: storm.marker, name: "storm", roots: [storm.root])])
        let (result, report) = try reap()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(report?.survivors.count, 0)
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", storm.marker), [])
    }

    func testCorruptRegistryIsMovedAsideAndNothingIsSignalled() throws {
        let bystander = try strandedTree("sleep 600", minimum: 1)
        let garbage = "{\"version\": 1, \"agents\": [ {\"id\": \"\(bystander.marker)\", "
        try garbage.write(toFile: registryPath, atomically: false, encoding: .utf8)
        chmod(registryPath, 0o600)

        let (result, _) = try reap()

        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains("corrupt"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: registryPath))
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("registry.json.corrupt-") }
        XCTAssertEqual(aside.count, 1)
        XCTAssertEqual(try String(contentsOfFile: directory + "/" + aside[0], encoding: .utf8), garbage, "kept byte for byte")
        XCTAssertTrue(TestProcesses.isAlive(bystander.root.pid))
    }

    func testGroupWritableRegistryIsRefused() throws {
        let tree = try strandedTree("sleep 600", minimum: 1)
        try writeRegistry([entry(id: tree.marker, name: "t", roots: [tree.root])], mode: 0o620)
        let before = try Data(contentsOf: URL(fileURLWithPath: registryPath))
        let (result, _) = try reap()
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains(registryPath), result.stderr)
        XCTAssertTrue(TestProcesses.isAlive(tree.root.pid), "nothing signalled")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: registryPath)), before, "file untouched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: registryPath + ".journal"), "nothing appended")
    }

    func testTwoReapersAtOnceSignalEachProcessOnce() throws {
        let trees = try (0..<3).map { _ in try strandedTree() }
        try writeRegistry(trees.enumerated().map { entry(id: $1.marker, name: "t\($0)", roots: [$1.root]) })
        let argv = [SupervisorProcess.binaryPath, "reap", "--json", "--registry", registryPath, "--kill-grace", "1", "--config", directory + "/none.toml"]
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
        let first = try CommandRunner.start(argv, environment: ["OVERSEER_STATE_DIR": directory + "/state"], directory: directory)
        let second = try CommandRunner.start(argv, environment: ["OVERSEER_STATE_DIR": directory + "/state"], directory: directory)
        let results = [CommandRunner.finish(first), CommandRunner.finish(second)]
        let reports = try results.map { try JSONDecoder().decode(ReapReport.self, from: Data($0.stdout.utf8)) }
        XCTAssertEqual(results.map(\.status), [0, 0], results.map(\.stderr).joined())
        let signalled = reports.flatMap { $0.reaped.map(\.identity) }
        XCTAssertEqual(signalled.count, Set(signalled).count, "no process signalled by both reapers")
        XCTAssertGreaterThanOrEqual(signalled.count, 12)
        for tree in trees { XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", tree.marker), []) }
        XCTAssertEqual(try registryAgents().count, 0)
    }

    func testAmbiguousNameIsNotKilledAndIsUnresolved() throws {
        // Single processes whose argv carries the name (python keeps its argv in /proc). The
        // system python itself: through `env` and a version manager's shim, the process would
        // pass through other command lines (and might not name the agent) while the reaper looks.
        let argv = ["/usr/bin/python3", "-c", "import time; time.sleep(600)", "--agent-name", "twin"]
        let one = try spawnPlain(argv: argv, environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OVERSEER_") })
        let two = try spawnPlain(argv: argv, environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OVERSEER_") })
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { [one, two].allSatisfy { (ProcessSnapshot.cmdline(of: $0) ?? []).contains("twin") } })
        started += [one, two]
        try writeRegistry([entry(id: TestProcesses.uniqueMarker(), name: "twin", roots: [])])
        let (result, report) = try reap()
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(TestProcesses.isAlive(one) && TestProcesses.isAlive(two))
        XCTAssertEqual(report?.unresolved.first?.attempts, 1)
        XCTAssertEqual(try registryAgents().first?["reap_attempts"] as? Int, 1, "kept with an attempt count")
        let (again, _) = try reap(["--dry-run"])
        XCTAssertEqual(again.status, 3)
    }

    func testDryRunSignalsNothing() throws {
        let tree = try strandedTree()
        try writeRegistry([entry(id: tree.marker, name: "t", roots: [tree.root])])
        let (result, report) = try reap(["--dry-run"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(Set(report?.plan["t"] ?? []), Set(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", tree.marker)))
        XCTAssertEqual(report?.reaped.count, 0)
        XCTAssertTrue(TestProcesses.isAlive(tree.root.pid))
        XCTAssertEqual(try registryAgents().count, 1)
    }

    func testFactoryRegistryNameOnlyAgentAndForeignPid() throws {
        let worker = try spawnPlain(argv: ["/bin/sh", "-c", "sleep 600 & wait", "sh", "--agent-name", "worker-1"], environment: ["PATH": "/usr/bin:/bin"], newSession: true)
        started.append(worker)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 5) { ProcessSnapshot.capture().descendants(of: worker).count == 1 })
        let workerChild = try XCTUnwrap(ProcessSnapshot.capture().descendants(of: worker).first)
        let foreign = try spawnPlain(argv: ["/bin/sleep", "600"], environment: [:])
        started.append(foreign)
        let registry = """
        {"pid": 999999999, "updatedAt": "2026-01-01T00:00:00Z", "updatedAtMs": 1767225600000, "agents": [
          {"name": "worker-1", "role": "coder", "pids": []},
          {"name": "worker-2", "pids": [\(foreign)], "processes": [{"pid": \(foreign), "agentName": "worker-2", "cmdline": "node agent.js", "startTime": "Mon Jun  8 12:00:00 2026"}]}
        ]}
        """
        let path = directory + "/factory.json"
        try registry.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)

        let (result, report) = try reap(registry: path)

        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(report?.format, "factory")
        XCTAssertFalse(TestProcesses.isAlive(worker), "name-only agent resolved and reaped")
        XCTAssertFalse(TestProcesses.isAlive(workerChild))
        XCTAssertTrue(TestProcesses.isAlive(foreign), "a foreign process with the pid but another start time is untouched")
        XCTAssertTrue(report?.skipped.contains { $0.pid == foreign && $0.reason == "identity mismatch" } ?? false, result.stdout)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), registry, "a factory registry is never rewritten")
    }
}
