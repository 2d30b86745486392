import Foundation
import OverseerWire
import OverseerClient
import OverseerDelivery
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// Idempotency-Key on the real supervisor: concurrent duplicates, replays across kill -9,
/// key reuse, and early eviction.
final class IdempotencyTests: DeliveryTestCase {
    func spawnRequest(_ name: String, key: String?, argv: [String] = ["sleep", "600"]) throws -> ClientRequest {
        var request = try ClientRequest.json(.post, "/v1/agents", SpawnRequest(name: name, argv: argv, cwd: "/tmp"))
        if let key { request.headers.append(("Idempotency-Key", key)) }
        return request
    }

    func agentNames() async throws -> [String] {
        try await client.send(.get("/v1/agents")).decode(AgentList.self).agents.map(\.name)
    }

    func testFiftyConcurrentIdenticalSpawnsWithOneKeyMakeOneAgent() async throws {
        let request = try spawnRequest("once", key: "spawn-once")
        let client = self.client
        let answers = try await withThrowingTaskGroup(of: (Int, String, Bool).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let response = try await client.send(request, timeout: .seconds(60))
                    return (response.status, response.text, response.header("Idempotent-Replayed") == "true")
                }
            }
            var all: [(Int, String, Bool)] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        XCTAssertEqual(answers.count, 50)
        XCTAssertEqual(Set(answers.map(\.0)), [201])
        XCTAssertEqual(Set(answers.map(\.1)).count, 1, "50 identical answers")
        XCTAssertEqual(answers.filter { !$0.2 }.count, 1, "one ran, 49 were replayed")
        let names = try await agentNames()
        XCTAssertEqual(names, ["once"])
        let info = try JSONDecoder().decode(AgentView.self, from: Data(answers[0].1.utf8))
        spawnedIDs.append(info.id)
    }

    func testARetryAfterKill9AndRestartGetsTheStoredAnswerAndNoSecondEffect() async throws {
        let request = try spawnRequest("survivor", key: "spawn-before-crash")
        let first = try await client.send(request)
        XCTAssertEqual(first.status, 201, first.text)
        let info = try first.decode(AgentView.self)
        spawnedIDs.append(info.id)
        try restartSupervisor(kill: true)

        let retry = try await client.send(request)

        XCTAssertEqual(retry.status, 201)
        XCTAssertEqual(retry.text, first.text, "the stored answer, byte for byte")
        XCTAssertEqual(retry.header("Idempotent-Replayed"), "true")
        let names = try await agentNames()
        XCTAssertEqual(names, [], "the retry did not spawn a second agent")
    }

    func testAKeyReusedForAnotherRequestIsRefusedUntilItIsAcknowledged() async throws {
        let first = try await client.send(try spawnRequest("a1", key: "shared-key"))
        XCTAssertEqual(first.status, 201, first.text)
        spawnedIDs.append(try first.decode(AgentView.self).id)
        let reused = try await client.send(try spawnRequest("a2", key: "shared-key"))
        XCTAssertEqual(reused.status, 422, reused.text)
        XCTAssertEqual(errorBody(reused).code, "idempotency_key_reused")
        XCTAssertEqual(errorBody(reused).field, "Idempotency-Key")

        let acknowledged = try await client.send(.delete("/v1/requests/shared-key"))
        XCTAssertEqual(acknowledged.status, 204, acknowledged.text)
        let again = try await client.send(try spawnRequest("a2", key: "shared-key"))
        XCTAssertEqual(again.status, 201, again.text)
        XCTAssertNil(again.header("Idempotent-Replayed"))
        spawnedIDs.append(try again.decode(AgentView.self).id)
        let unknown = try await client.send(.delete("/v1/requests/never-used"))
        XCTAssertEqual(unknown.status, 404)
        let names = try await agentNames()
        XCTAssertEqual(Set(names), ["a1", "a2"])
    }

    func testErrorAnswersAreReplayedToo() async throws {
        let bad = try await client.send(try spawnRequest("bad", key: "bad-spawn", argv: ["/nonexistent/program"]))
        XCTAssertEqual(bad.status, 422, bad.text)
        let replay = try await client.send(try spawnRequest("bad", key: "bad-spawn", argv: ["/nonexistent/program"]))
        XCTAssertEqual(replay.status, 422)
        XCTAssertEqual(replay.text, bad.text)
        XCTAssertEqual(replay.header("Idempotent-Replayed"), "true")
        let invalid = try await client.send(try spawnRequest("x", key: String(repeating: "k", count: 300)))
        XCTAssertEqual(invalid.status, 400, invalid.text)
    }

    func testTheCLIKeyMakesARepeatedCommandActOnce() throws {
        let argv = [SupervisorProcess.binaryPath, "spawn", "--socket", supervisor.socketPath, "--idempotency-key", "cli-key", "--json", "cli-agent", "--", "sleep", "600"]
        let first = try CommandRunner.run(argv, directory: supervisor.directory)
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try CommandRunner.run(argv, directory: supervisor.directory)
        XCTAssertEqual(second.status, 0, second.stderr)
        let a = try JSONDecoder().decode(AgentView.self, from: Data(first.stdout.utf8))
        let b = try JSONDecoder().decode(AgentView.self, from: Data(second.stdout.utf8))
        spawnedIDs.append(a.id)
        XCTAssertEqual(a.incarnation, b.incarnation, "the second run replayed the first")
    }
}
