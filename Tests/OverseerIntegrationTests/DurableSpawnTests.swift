import Foundation
import OverseerClient
import OverseerRegistry
import OverseerTestSupport
import OverseerWire
import XCTest

/// Durable or refused: a spawn whose registry entry cannot be written answers 507, names the
/// file and the errno, and leaves nothing running; the CLI says the disk is the problem.
final class DurableSpawnTests: XCTestCase {
    /// The registry on a full 1 MiB tmpfs: the API and the CLI are refused, /proc shows nothing
    /// of what was spawned, and once there is room again spawns work.
    func testFullRegistryDiskRefusesSpawnAndKillsWhatWasSpawned() async throws {
        let mountPoint = try OperatorSupport.mountTmpfs(size: "1m")
        defer { OperatorSupport.unmount(mountPoint) }
        let registryPath = mountPoint + "/registry.json"
        let supervisor = try SupervisorProcess(extraArguments: ["--cgroup-root", "off", "--kill-grace", "1"], environment: ["OVERSEER_REGISTRY_PATH": registryPath])
        defer {
            supervisor.stop()
            supervisor.removeFiles()
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: registryPath), "the registry is written at start-up")
        XCTAssertGreaterThan(OperatorSupport.fill(mountPoint + "/fill"), 0)

        let marker = TestProcesses.uniqueMarker()
        defer { TestProcesses.killCarrying("DURABLE_MARK", marker) }
        let response = try await OperatorSupport.spawn(supervisor.client, "unrecorded", ["sh", "-c", "trap '' TERM HUP; sleep 600"], env: ["DURABLE_MARK": marker])
        XCTAssertEqual(response.status, 507, response.text)
        let body = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: String]]
        XCTAssertEqual(body?["error"]?["code"], "not_persisted", response.text)
        let message = body?["error"]?["message"] ?? ""
        XCTAssertTrue(message.contains(registryPath), message)
        XCTAssertTrue(message.contains("No space left on device"), message)
        XCTAssertTrue(message.contains("errno 28"), message)
        XCTAssertEqual(TestProcesses.pidsCarrying("DURABLE_MARK", marker), [], "what was spawned is gone (/proc)")
        let listed = try await supervisor.client.send(.get("/v1/agents"))
        XCTAssertFalse(listed.text.contains("unrecorded"), listed.text)

        let cli = try OperatorSupport.overseer(
            ["spawn", "--socket", supervisor.socketPath, "--env", "DURABLE_MARK=\(marker)", "cli-unrecorded", "--", "sleep", "600"],
            directory: supervisor.directory
        )
        XCTAssertEqual(cli.status, 9, cli.stderr)
        XCTAssertTrue(cli.stderr.contains("state directory, or the disk holding it"), cli.stderr)
        XCTAssertTrue(cli.stderr.contains(registryPath), cli.stderr)
        XCTAssertFalse(cli.stderr.contains("cannot reach"), cli.stderr)
        XCTAssertEqual(TestProcesses.pidsCarrying("DURABLE_MARK", marker), [], "the CLI's spawn left nothing either")
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid), "a full disk does not stop the supervisor")

        // Room again: the next spawn is recorded and answered.
        unlink(mountPoint + "/fill")
        let recorded = try await OperatorSupport.spawn(supervisor.client, "recorded", ["sleep", "600"], env: ["DURABLE_MARK": marker])
        XCTAssertEqual(recorded.status, 201, recorded.text)
        let agent = try recorded.decode(AgentView.self)
        let onDisk = try XCTUnwrap(try RegistryStore(path: registryPath).load(movingCorruptAside: false)).agents.map(\.id)
        XCTAssertTrue(onDisk.contains(agent.id), "\(onDisk)")
        let released = try await supervisor.client.send(ClientRequest(.post, "/v1/agents/recorded/release"))
        XCTAssertEqual(released.status, 200, released.text)
    }

    /// The whole state directory on a full tmpfs (registry, idempotency and delivery stores):
    /// whichever record fails first, the CLI's spawn is refused with exit 9 and nothing runs.
    func testFullStateDirectoryRefusesCLISpawn() async throws {
        let mountPoint = try OperatorSupport.mountTmpfs(size: "1m")
        defer { OperatorSupport.unmount(mountPoint) }
        let stateDirectory = mountPoint + "/state"
        // The later --state-dir wins over the one SupervisorProcess names.
        let supervisor = try SupervisorProcess(extraArguments: ["--cgroup-root", "off", "--state-dir", stateDirectory])
        defer {
            supervisor.stop()
            supervisor.removeFiles()
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: stateDirectory + "/registry.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: stateDirectory + "/idempotency.sqlite"))
        OperatorSupport.fill(mountPoint + "/fill")

        let marker = TestProcesses.uniqueMarker()
        defer { TestProcesses.killCarrying("DURABLE_MARK", marker) }
        let cli = try OperatorSupport.overseer(
            ["spawn", "--socket", supervisor.socketPath, "--env", "DURABLE_MARK=\(marker)", "full-disk", "--", "sleep", "600"],
            directory: supervisor.directory
        )
        XCTAssertEqual(cli.status, 9, cli.stderr)
        XCTAssertTrue(cli.stderr.contains(stateDirectory), cli.stderr)
        XCTAssertTrue(cli.stderr.contains("state directory, or the disk holding it"), cli.stderr)
        XCTAssertEqual(TestProcesses.pidsCarrying("DURABLE_MARK", marker), [], "nothing of the refused spawn runs (/proc)")
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid))
    }

    /// A release whose registry write fails (its tmpfs full, then read-only): the tree is killed all the same (/proc), the
    /// answer is 507 naming the registry and saying the release happened, the CLI exits 9,
    /// and the entry stays on disk until a write succeeds (the heartbeat retries).
    func testAReleaseTheRegistryCannotRecordAnswers507AndStaysOnDiskUntilItCan() async throws {
        let mountPoint = try OperatorSupport.mountTmpfs(size: "1m")
        defer { OperatorSupport.unmount(mountPoint) }
        let registryPath = mountPoint + "/registry.json"
        let supervisor = try SupervisorProcess(extraArguments: ["--cgroup-root", "off", "--kill-grace", "1"], environment: ["OVERSEER_REGISTRY_PATH": registryPath, "OVERSEER_HEARTBEAT_INTERVAL_SECONDS": "0.2"])
        defer {
            supervisor.stop()
            supervisor.removeFiles()
        }
        let marker = TestProcesses.uniqueMarker()
        defer { TestProcesses.killCarrying("DURABLE_MARK", marker) }
        var agents: [AgentView] = []
        for name in ["api-release", "cli-release"] {
            let spawned = try await OperatorSupport.spawn(supervisor.client, name, ["sh", "-c", "sleep 600 & wait"], env: ["DURABLE_MARK": marker])
            XCTAssertEqual(spawned.status, 201, spawned.text)
            agents.append(try spawned.decode(AgentView.self))
        }
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { TestProcesses.pidsCarrying("DURABLE_MARK", marker).count == 4 })
        XCTAssertGreaterThan(OperatorSupport.fill(mountPoint + "/fill"), 0)
        // A full disk still has room in the journal's last page, which a small append uses;
        // read-only, every write fails.
        XCTAssertTrue(OperatorSupport.remount(mountPoint, readOnly: true), "cannot remount \(mountPoint) read-only")

        let released = try await supervisor.client.send(ClientRequest(.post, "/v1/agents/api-release/release"))
        XCTAssertEqual(released.status, 507, released.text)
        let body = try JSONSerialization.jsonObject(with: Data(released.body)) as? [String: [String: String]]
        XCTAssertEqual(body?["error"]?["code"], "not_persisted", released.text)
        let message = body?["error"]?["message"] ?? ""
        XCTAssertTrue(message.contains("released api-release") && message.contains(registryPath), message)
        let cli = try OperatorSupport.overseer(["release", "--socket", supervisor.socketPath, "cli-release"], directory: supervisor.directory)
        XCTAssertEqual(cli.status, 9, cli.stderr)
        XCTAssertTrue(cli.stderr.contains("released cli-release"), cli.stderr)
        XCTAssertEqual(TestProcesses.pidsCarrying("DURABLE_MARK", marker), [], "both trees are gone (/proc): the release itself happened")
        let onDisk = try XCTUnwrap(try RegistryStore(path: registryPath).load(movingCorruptAside: false)).agents.map(\.id)
        XCTAssertTrue(agents.allSatisfy { onDisk.contains($0.id) }, "the entries stay until a write succeeds: \(onDisk)")

        XCTAssertTrue(OperatorSupport.remount(mountPoint, readOnly: false), "cannot remount \(mountPoint) read-write")
        unlink(mountPoint + "/fill")
        let rewritten = TestProcesses.waitUntil(timeout: 20) {
            guard let onDisk = try? RegistryStore(path: registryPath).load(movingCorruptAside: false) else { return false }
            return agents.allSatisfy { agent in !onDisk.agents.contains { $0.id == agent.id } }
        }
        XCTAssertTrue(rewritten, "the heartbeat's next write drops the released entries")
    }
}
