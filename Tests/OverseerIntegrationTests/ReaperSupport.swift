import Foundation
import OverseerProcess
import OverseerReaper
import OverseerRegistry
import OverseerTestSupport
import XCTest

/// Helpers for reaper tests: stranded trees, hand-written registries, and `overseer reap` runs.
class ReaperTestCase: XCTestCase {
    var directory = ""
    var markers: [String] = []
    var started: [Int32] = []

    override func setUp() {
        TestProcesses.becomeSubreaper()
        directory = TestProcesses.temporaryDirectory("overseer-reap")
        markers = []
        started = []
    }

    override func tearDown() {
        for marker in markers { TestProcesses.killCarrying("OVERSEER_AGENT_ID", marker) }
        TestProcesses.killAll(started)
        TestProcesses.removeDirectory(directory)
    }

    var registryPath: String { directory + "/registry.json" }

    static let defaultTree = TestProcesses.escapingTree

    /// A tree carrying a fresh marker: a shell with children, a setsid child and a double-forked daemon.
    /// The default tree is returned once it has settled (the root shell and three sleeps, no
    /// intermediate shell left), so a count taken then is the tree's.
    func strandedTree(_ script: String = ReaperTestCase.defaultTree, argv0: [String] = [], minimum: Int = 4) throws -> (marker: String, root: ProcessIdentity) {
        let marker = TestProcesses.uniqueMarker()
        markers.append(marker)
        let pid = try spawnPlain(argv: ["/bin/sh", "-c", script] + argv0, environment: ["PATH": "/usr/bin:/bin", "OVERSEER_AGENT_ID": marker], newSession: true)
        started.append(pid)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) {
            guard script == Self.defaultTree else { return TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", marker).count >= minimum }
            return TestProcesses.escapingTreeSettled(marker: marker, root: pid)
        })
        return (marker, try XCTUnwrap(ProcessIdentity.current(pid: pid)))
    }

    /// An Overseer-shaped registry entry, as JSON.
    func entry(id: String, name: String, state: String = "dispatch_failed", roots: [ProcessIdentity], owner: ProcessIdentity? = nil) -> String {
        let rootsJSON = roots.map { #"{"pid": \#($0.pid), "start_time": \#($0.startTime), "boot_id": "\#($0.bootID)"}"# }.joined(separator: ", ")
        let ownerJSON = owner.map { #", "owner": {"pid": \#($0.pid), "start_time": \#($0.startTime), "boot_id": "\#($0.bootID)"}"# } ?? ""
        return #"{"id": "\#(id)", "name": "\#(name)", "incarnation": "i1", "state": "\#(state)", "roots": [\#(rootsJSON)], "created_at": 1, "updated_at": 1, "reap_attempts": 0\#(ownerJSON)}"#
    }

    func writeRegistry(_ entries: [String], supervisor: String? = nil, path: String? = nil, mode: mode_t = 0o600) throws {
        let supervisorJSON = supervisor.map { #""supervisor": \#($0), "# } ?? ""
        let text = #"{"version": 1, \#(supervisorJSON)"updated_at": 1, "agents": [\#(entries.joined(separator: ", "))]}"#
        let target = path ?? registryPath
        try text.write(toFile: target, atomically: false, encoding: .utf8)
        chmod(target, mode)
    }

    /// Runs `overseer reap --json` on the registry.
    func reap(_ extra: [String] = [], registry: String? = nil) throws -> (CommandResult, ReapReport?) {
        let argv = [SupervisorProcess.binaryPath, "reap", "--json", "--registry", registry ?? registryPath, "--kill-grace", "1", "--config", directory + "/none.toml"] + extra
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
        let result = try CommandRunner.run(argv, environment: ["OVERSEER_STATE_DIR": directory + "/state"], directory: directory)
        let report = try? JSONDecoder().decode(ReapReport.self, from: Data(result.stdout.utf8))
        return (result, report)
    }

    func registryAgents(_ path: String? = nil) throws -> [[String: Any]] {
        // Snapshot and journal replayed, as the reaper reads them.
        let document = try RegistryStore(path: path ?? registryPath).load(movingCorruptAside: false)
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(document)) as? [String: Any]
        return object?["agents"] as? [[String: Any]] ?? []
    }
}
