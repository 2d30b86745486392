import Foundation
import OverseerWire
import OverseerClient
import OverseerDelivery
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// Ordered command streams: replays are skipped by their (agent, generation, index), across
/// restarts and after the agent is gone; stale generations are never acted on.
final class CommandStreamTests: DeliveryTestCase {
    func commands(_ items: [[String: Any]]) async throws -> [StreamCommandResult] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["commands": items]), as: UTF8.self)
        let response = try await request(.post, "/v1/commands", json: json)
        XCTAssertEqual(response.status, 200, response.text)
        return try response.decode(StreamCommandResults.self).results
    }

    func checkpoints() async throws -> [CheckpointView] {
        try await client.send(.get("/v1/commands/checkpoints")).decode(CheckpointList.self).checkpoints
    }

    func testAStreamReplayedInFullAfterARestartActsOnce() async throws {
        let file = supervisor.directory + "/stream.log"
        let spawn: [String: Any] = ["agent": "s", "generation": 1, "index": 1, "command": ["type": "spawn", "argv": lineLogger(file)]]
        let message: [String: Any] = ["agent": "s", "generation": 1, "index": 2, "command": ["type": "message", "text": "streamed once"]]
        let release: [String: Any] = ["agent": "s", "generation": 1, "index": 3, "command": ["type": "release"]]

        let first = try await commands([spawn, message])
        XCTAssertEqual(first.map(\.status), [.applied, .applied], "\(first)")
        let delivery = try XCTUnwrap(first[1].delivery)
        let typed = try await verdict(delivery)
        XCTAssertEqual(typed.state, .verified)
        let released = try await commands([release])
        XCTAssertEqual(released.map(\.status), [.applied])

        try restartSupervisor()
        let replay = try await commands([spawn, message, release])

        XCTAssertEqual(replay.map(\.status), [.replayed, .replayed, .replayed], "\(replay)")
        let agents = try await client.send(.get("/v1/agents")).decode(AgentList.self).agents
        XCTAssertEqual(agents.map(\.name), [], "a replayed spawn never resurrects a released agent")
        // Ground truth: no process of the supervisor is left that could type a second copy.
        XCTAssertEqual(TestProcesses.children(of: supervisor.pid), [])
        XCTAssertEqual(lines(of: file), ["streamed once"], "one message typed")
        let marks = try await checkpoints()
        XCTAssertEqual(marks.count, 1)
        XCTAssertEqual(marks.first?.agent, "s")
        XCTAssertEqual(marks.first?.generation, 1)
        XCTAssertEqual(marks.first?.lastIndex, 3)
        XCTAssertNotNil(marks.first?.releasedAt, "stopped agents stay listed until acknowledged")

        let ack = try await client.send(.delete("/v1/commands/checkpoints/s/1"))
        XCTAssertEqual(ack.status, 204, ack.text)
        let remaining = try await checkpoints()
        XCTAssertEqual(remaining.count, 0)
    }

    func testAnOldGenerationNeverActsOnANewerOne() async throws {
        let first = try await commands([["agent": "g", "generation": 1, "index": 1, "command": ["type": "spawn", "argv": ["sleep", "600"]]]])
        XCTAssertEqual(first.map(\.status), [.applied])
        _ = try await commands([["agent": "g", "generation": 1, "index": 2, "command": ["type": "release"]]])
        let second = try await commands([["agent": "g", "generation": 2, "index": 1, "command": ["type": "spawn", "argv": ["sleep", "600"]]]])
        XCTAssertEqual(second.map(\.status), [.applied])
        let info = try await client.send(.get("/v1/agents/g")).decode(AgentView.self)
        spawnedIDs.append(info.id)
        XCTAssertEqual(info.generation, 2)

        // A replayed release of generation 1, and a late new one, leave generation 2 alone.
        let late = try await commands([
            ["agent": "g", "generation": 1, "index": 2, "command": ["type": "release"]],
            ["agent": "g", "generation": 1, "index": 3, "command": ["type": "release"]],
            ["agent": "g", "generation": 1, "index": 4, "command": ["type": "message", "text": "for the old one"]],
        ])
        XCTAssertEqual(late.map(\.status), [.replayed, .stale, .stale], "\(late)")
        let still = try await client.send(.get("/v1/agents/g")).decode(AgentView.self)
        XCTAssertEqual(still.state, .running)
        XCTAssertEqual(still.incarnation, info.incarnation)
        let marks = try await checkpoints().sorted { $0.generation < $1.generation }
        XCTAssertEqual(marks.map(\.lastIndex), [4, 1])
    }
}
