import Foundation
import HTTPTypes
import OverseerSupervisor
import OverseerWire
import XCTest

/// `GET /v1/agents/{name}/state`: the plain read, the long poll's parameters as the
/// supervisor receives them, and bad parameters refused by name.
extension RouterTests {
    func testStateAnswersTheViewWithItsExplanation() async throws {
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor) { send in
            let answer = try await send(.get, "/v1/agents/w1/state", nil, [:])
            XCTAssertEqual(answer.status, .ok, answer.text)
            let view = try JSONDecoder().decode(AgentStateView.self, from: answer.body)
            XCTAssertEqual(view.state, "idle")
            XCTAssertEqual(view.explain, "state: idle\n")
            XCTAssertTrue(answer.text.contains(#""explain":"#), answer.text)

            supervisor.failing(with: .agentNotFound("ghost"))
            let missing = try await send(.get, "/v1/agents/ghost/state", nil, [:])
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual(missing.error?.code, "agent_not_found")
        }
        XCTAssertTrue(supervisor.state.withLock { $0.stateWaits.isEmpty }, "a read without until never waits")
    }

    func testStateLongPollPassesItsStatesAndTimeout() async throws {
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor) { send in
            let answer = try await send(.get, "/v1/agents/w1/state?until=idle,blocked&timeout=2.5", nil, [:])
            XCTAssertEqual(answer.status, .ok, answer.text)
            XCTAssertEqual(try JSONDecoder().decode(AgentStateView.self, from: answer.body).state, "blocked")
            let defaulted = try await send(.get, "/v1/agents/w1/state?until=exited", nil, [:])
            XCTAssertEqual(defaulted.status, .ok, defaulted.text)
            let longest = try await send(.get, "/v1/agents/w1/state?until=working&timeout=3600", nil, [:])
            XCTAssertEqual(longest.status, .ok, longest.text)
        }
        let waits = supervisor.state.withLock { $0.stateWaits }
        XCTAssertEqual(waits.map(\.states), [["idle", "blocked"], ["exited"], ["working"]])
        XCTAssertEqual(waits.map(\.timeout), [.milliseconds(2500), .seconds(30), .seconds(3600)])
    }

    func testBadStateParametersAreRefusedByName() async throws {
        let supervisor = FakeSupervisor()
        let cases: [(String, String, String)] = [
            ("until=sleeping", "invalid_state", "until"),
            ("until=idle,nope", "invalid_state", "until"),
            ("until=", "bad_request", "until"),
            ("until=idle,", "bad_request", "until"),
            ("until=idle&timeout=soon", "bad_request", "timeout"),
            ("until=idle&timeout=-1", "bad_request", "timeout"),
            ("until=idle&timeout=3601", "bad_request", "timeout"),
            ("until=idle&timeout=nan", "bad_request", "timeout"),
            ("timeout=5", "bad_request", "timeout"),
        ]
        try await withRouter(supervisor) { send in
            for (query, code, field) in cases {
                let answer = try await send(.get, "/v1/agents/w1/state?\(query)", nil, [:])
                XCTAssertEqual(answer.status, .badRequest, "\(query): \(answer.text)")
                XCTAssertEqual(answer.error?.code, code, query)
                XCTAssertEqual(answer.error?.field, field, query)
            }
            let named = try await send(.get, "/v1/agents/w1/state?until=sleeping", nil, [:])
            XCTAssertTrue(named.error?.message.contains("\"sleeping\"") == true, named.text)
        }
        XCTAssertTrue(supervisor.state.withLock { $0.stateWaits.isEmpty }, "a refused wait never reaches the supervisor")
    }
}
