import Foundation
import OverseerWire
import OverseerClient
import OverseerProcess
import OverseerReaper
import OverseerRegistry
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// The supervisor's registry and dispatch handoff, with the real reaper.
final class HandoffTests: SupervisorTestCase {
    override var supervisorEnvironment: [String: String] { ["OVERSEER_HEARTBEAT_INTERVAL_SECONDS": "0.3"] }

    var registryPath: String { supervisor.stateDirectory + "/registry.json" }

    func registry() throws -> RegistryDocument {
        try XCTUnwrap(try RegistryStore(path: registryPath).load())
    }

    /// Waits until the supervisor has rewritten the registry since `document` (its heartbeat moved on).
    func waitForRewrite(after document: RegistryDocument) async throws {
        let previous = document.supervisor?.heartbeatAt ?? 0
        let rewritten = await TestProcesses.waitUntilAsync(timeout: 10) {
            ((try? self.registry())?.supervisor?.heartbeatAt ?? 0) > previous
        }
        XCTAssertTrue(rewritten, "the registry was not rewritten within 10 s")
    }

    func reap(_ extra: [String] = []) throws -> (CommandResult, ReapReport?) {
        _ = FileManager.default.createFile(atPath: supervisor.directory + "/none.toml", contents: Data())
        let result = try CommandRunner.run([SupervisorProcess.binaryPath, "reap", "--json", "--registry", registryPath, "--kill-grace", "1", "--config", supervisor.directory + "/none.toml"] + extra,
                                           environment: ["OVERSEER_STATE_DIR": supervisor.stateDirectory], directory: supervisor.directory)
        return (result, try? JSONDecoder().decode(ReapReport.self, from: Data(result.stdout.utf8)))
    }

    func createDispatch() async throws -> DispatchView {
        let response = try await client.send(try .json(.post, "/v1/dispatches", DispatchRequest(issue: IssueReference(uuid: nil, key: "ENG-1", path: nil), sessionRef: "s-1")))
        XCTAssertEqual(response.status, 201, response.text)
        return try response.decode(DispatchView.self)
    }

    func spawnInto(_ dispatch: String, _ name: String, _ argv: [String]) async throws -> AgentView {
        let response = try await client.send(try .json(.post, "/v1/agents", SpawnRequest(name: name, argv: argv, cwd: "/tmp", dispatch: dispatch, role: "coder")))
        XCTAssertEqual(response.status, 201, response.text)
        let info = try response.decode(AgentView.self)
        spawnedIDs.append(info.id)
        return info
    }

    static let escapingTree = ["sh", "-c", TestProcesses.escapingTree]

    func testFailedDispatchIsHandedOffPersistedAndReapedWhileRunningAgentsAreUntouched() async throws {
        let dispatch = try await createDispatch()
        let a = try await spawnInto(dispatch.id, "a", Self.escapingTree)
        let b = try await spawnInto(dispatch.id, "b", Self.escapingTree)
        let bystander = try await spawn("bystander", ["sleep", "600"])
        for agent in [a, b] {
            let ready = await TestProcesses.waitUntilAsync(timeout: 10) { TestProcesses.escapingTreeSettled(marker: agent.id, root: agent.pid) }
            XCTAssertTrue(ready)
        }
        XCTAssertEqual(try registry().agents.count, 3, "spawns are persisted")
        XCTAssertEqual(try registry().agents.first { $0.name == "a" }?.issue?.key, "ENG-1")

        let failed = try await client.send(.init(.post, "/v1/dispatches/\(dispatch.id)/fail"))
        XCTAssertEqual(failed.status, 200, failed.text)
        let handoff = try failed.decode(HandoffView.self)
        XCTAssertEqual(Set(handoff.agents), ["a", "b"])
        XCTAssertTrue(handoff.persisted)
        // On disk before the answer, and still there after heartbeat rewrites.
        let answered = try registry()
        XCTAssertEqual(Set(answered.agents.filter { $0.state == .dispatchFailed }.map(\.name)), ["a", "b"])
        try await waitForRewrite(after: answered)
        XCTAssertEqual(Set(try registry().agents.filter { $0.state == .dispatchFailed }.map(\.name)), ["a", "b"])

        let before = Set(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", a.id) + TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", b.id))
        let (result, report) = try reap()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(Set(report?.reaped.map(\.pid) ?? []), before)
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", a.id), [])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", b.id), [])
        XCTAssertTrue(TestProcesses.isAlive(bystander.pid), "a fresh supervisor's running agents are untouched")
        XCTAssertTrue(report?.skipped.contains { $0.agent == "bystander" && $0.reason == "supervisor alive" } ?? false, result.stdout)
        XCTAssertTrue(TestProcesses.isAlive(supervisor.pid), "the supervisor is protected")

        // Consumed entries are never written back by the supervisor's next rewrites.
        try await waitForRewrite(after: try registry())
        XCTAssertEqual(try registry().agents.map(\.name), ["bystander"])
        let info = try await client.send(.get("/v1/agents/a")).decode(AgentView.self)
        XCTAssertEqual(info.handoff, .consumed)
    }

    func testDispatchWithoutAgentsCreatesNoHandoffAndUnknownDispatchIs404() async throws {
        let dispatch = try await createDispatch()
        let failed = try await client.send(.init(.post, "/v1/dispatches/\(dispatch.id)/fail")).decode(HandoffView.self)
        XCTAssertFalse(failed.handoff)
        XCTAssertEqual(try registry().agents.count, 0)
        let missing = try await request(.post, "/v1/dispatches/d-nope/fail")
        XCTAssertEqual(missing.status, 404)
        let closed = try await request(.post, "/v1/agents", json: #"{"name": "late", "argv": ["sleep", "1"], "dispatch": "\#(dispatch.id)"}"#)
        XCTAssertEqual(closed.status, 409, "no spawning into a failed dispatch")
    }

    func testHandoffsSurviveAStopAndEverythingIsReapedAfterSIGKILL() async throws {
        let dispatch = try await createDispatch()
        let handed = try await spawnInto(dispatch.id, "handed", ["sh", "-c", "trap '' HUP; sleep 600 & wait"])
        _ = try await client.send(.init(.post, "/v1/dispatches/\(dispatch.id)/fail"))
        // A clean stop releases ordinary agents but leaves the handed-off one to the reaper.
        XCTAssertEqual(supervisor.stop(), 0)
        XCTAssertTrue(TestProcesses.isAlive(handed.pid))
        XCTAssertEqual(try registry().agents.map(\.name), ["handed"])

        // A new instance keeps the previous instance's entries.
        try supervisor.start(extraArguments: ["--kill-grace", "2"], environment: supervisorEnvironment)
        let left = try await spawn("left", ["sh", "-c", "trap '' HUP; sleep 600 & wait"])
        // A spawn is answered only once the registry holds it.
        XCTAssertEqual(Set(try registry().agents.map(\.name)), ["handed", "left"])

        // SIGKILL the supervisor: the next pass reaps everything it left.
        supervisor.kill9()
        let (result, report) = try reap()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(Set(report?.consumed ?? []), ["handed", "left"])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", handed.id), [])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", left.id), [])
        XCTAssertEqual(try registry().agents.count, 0)
    }
}
