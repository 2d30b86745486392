import Foundation
import OverseerWire
import OverseerClient
import OverseerKill
import OverseerProcess
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// Base for tests that drive a real `overseer serve` over its socket.
class SupervisorTestCase: XCTestCase {
    var supervisor: SupervisorProcess!
    var spawnedIDs: [String] = []

    var supervisorArguments: [String] { [] }
    var supervisorEnvironment: [String: String] { [:] }
    /// A command the supervisor is started through (see `SupervisorProcess.wrapper`).
    var supervisorWrapper: [String] { [] }

    override func setUp() async throws {
        supervisor = try SupervisorProcess(extraArguments: ["--kill-grace", "2"] + supervisorArguments, environment: supervisorEnvironment, wrapper: supervisorWrapper)
        spawnedIDs = []
    }

    override func tearDown() async throws {
        // A supervisor that died under a test is a finding: its log says how.
        if let supervisor, supervisor.pid > 0, let signal = TestProcesses.crashSignal(supervisor.pid) {
            XCTFail("the supervisor crashed during the test (signal \(signal)); log tail:\n\(supervisor.log_().suffix(4000))")
        }
        supervisor?.stop()
        for id in spawnedIDs { TestProcesses.killCarrying("OVERSEER_AGENT_ID", id) }
        supervisor?.removeFiles()
    }

    var client: UnixHTTPClient { supervisor.client }

    func request(_ method: ClientRequest.Method, _ path: String, json: String? = nil) async throws -> ClientResponse {
        try await client.send(ClientRequest(method, path, headers: json == nil ? [] : [("Content-Type", "application/json")], body: Array((json ?? "").utf8)), timeout: .seconds(60))
    }

    /// `submitDelayMs` overrides the profile's settle pause before Enter (0 for agents that
    /// read plain lines and need none).
    func spawn(_ name: String, _ argv: [String], env: [String: String] = [:], submitDelayMs: Int? = nil) async throws -> AgentView {
        let response = try await client.send(try .json(.post, "/v1/agents", SpawnRequest(name: name, argv: argv, cwd: "/tmp", env: env, submitDelayMs: submitDelayMs)))
        XCTAssertEqual(response.status, 201, response.text)
        let info = try response.decode(AgentView.self)
        spawnedIDs.append(info.id)
        return info
    }

    func send(_ name: String, _ text: String, enter: Bool = true) async throws {
        let response = try await client.send(try .json(.post, "/v1/agents/\(name)/input", InputRequest(text: text, enter: enter)))
        XCTAssertEqual(response.status, 200, response.text)
    }

    func output(_ name: String) async throws -> String {
        let response = try await client.send(.get("/v1/agents/\(name)/output"))
        return try response.decode(OutputResponse.self).text
    }

    /// Polls the agent's output until it contains `needle`.
    func waitForOutput(_ name: String, containing needle: String, timeout: Double = 10) async throws -> String {
        var last = ""
        _ = await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.05) {
            last = (try? await self.output(name)) ?? last
            return last.contains(needle)
        }
        XCTAssertTrue(last.contains(needle), "output never contained \(needle.debugDescription): \(last.debugDescription)")
        return last
    }

    func release(_ name: String) async throws -> ReleaseView {
        let response = try await request(.post, "/v1/agents/\(name)/release")
        XCTAssertEqual(response.status, 200, response.text)
        return try response.decode(ReleaseView.self)
    }

    func errorBody(_ response: ClientResponse) -> (code: String, message: String, field: String?) {
        struct Body: Decodable {
            struct Detail: Decodable { var code: String; var message: String; var field: String? }
            var error: Detail
        }
        guard let body = try? response.decode(Body.self) else { return ("?", response.text, nil) }
        return (body.error.code, body.error.message, body.error.field)
    }
}
