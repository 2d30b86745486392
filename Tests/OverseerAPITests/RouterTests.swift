import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OverseerAPI
import OverseerIdempotency
import OverseerSupervisor
import OverseerTestSupport
import OverseerWire
import XCTest

/// The router against a stand-in supervisor: how errors become statuses and codes, how bodies
/// are decoded and bad ones named, and Idempotency-Key replays through the middleware. The
/// integration tests drive a real `overseer serve`; these pin down the HTTP layer alone.
final class RouterTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = TestProcesses.temporaryDirectory("router")
    }

    override func tearDown() {
        TestProcesses.removeDirectory(directory)
    }

    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: Data

        var error: ErrorBody.Detail? { (try? JSONDecoder().decode(ErrorBody.self, from: body))?.error }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Runs `requests` against a router over `supervisor` (with an idempotency store when asked).
    func withRouter(_ supervisor: FakeSupervisor, idempotency: Bool = false, _ body: @escaping @Sendable (@escaping @Sendable (HTTPRequest.Method, String, String?, HTTPFields) async throws -> Answer) async throws -> Void) async throws {
        let router = Router(context: OverseerRequestContext.self)
        let coordinator = idempotency ? try IdempotencyCoordinator(path: directory + "/idempotency.sqlite") : nil
        APIRouter.register(on: router, supervisor: supervisor, idempotency: coordinator)
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await body { method, uri, json, headers in
                var headers = headers
                if json != nil { headers[.contentType] = "application/json" }
                return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
                    Answer(status: response.status, headers: response.headers, body: Data(buffer: response.body))
                }
            }
        }
        try coordinator?.store.close()
    }

    func testSupervisorErrorsBecomeStatusesCodesAndFields() async throws {
        let cases: [(SupervisorError, HTTPResponse.Status, String, String?)] = [
            (.agentNotFound("ghost"), .notFound, "agent_not_found", nil),
            (.duplicateName("dup"), .conflict, "duplicate_name", "name"),
            (.invalidName("a b"), .badRequest, "invalid_name", "name"),
            (.agentBusy("busy"), .conflict, "agent_busy", nil),
            (.spawnFailed("executable not found", field: "argv[0]"), .unprocessableContent, "spawn_failed", "argv[0]"),
            (.spawnFailed("working directory /gone: No such file or directory", field: "cwd"), .unprocessableContent, "spawn_failed", "cwd"),
            (.spawnFailed("cannot create the agent's cgroup: EACCES"), .unprocessableContent, "spawn_failed", nil),
            (.invalidSize(rows: 0, cols: 80), .badRequest, "invalid_size", "rows"),
            (.invalidSize(rows: 24, cols: 0), .badRequest, "invalid_size", "cols"),
            (.tooManyAgents(limit: 3), .tooManyRequests, "too_many_agents", nil),
            (.shuttingDown, .serviceUnavailable, "shutting_down", nil),
        ]
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor) { send in
            for (error, status, code, field) in cases {
                supervisor.failing(with: error)
                let answer = try await send(.post, "/v1/agents", #"{"name": "a", "argv": ["sleep", "1"]}"#, [:])
                XCTAssertEqual(answer.status, status, "\(error): \(answer.text)")
                XCTAssertEqual(answer.error?.code, code, "\(error)")
                XCTAssertEqual(answer.error?.field, field, "\(error)")
                XCTAssertEqual(answer.error?.message, error.description)
                XCTAssertEqual(answer.headers[.contentType], "application/json")
            }
        }
        XCTAssertEqual(supervisor.spawnCount, 0)
    }

    func testMessageAndCheckpointErrorsMapOntoHTTP() async throws {
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor, idempotency: true) { send in
            let missing = try await send(.get, "/v1/deliveries/nope", nil, [:])
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual(missing.error?.code, "delivery_not_found")
            XCTAssertEqual(missing.error?.field, "id")

            let checkpoint = try await send(.delete, "/v1/commands/checkpoints/a/7", nil, [:])
            XCTAssertEqual(checkpoint.status, .notFound)
            XCTAssertEqual(checkpoint.error?.code, "checkpoint_not_found")
            let badGeneration = try await send(.delete, "/v1/commands/checkpoints/a/seven", nil, [:])
            XCTAssertEqual(badGeneration.status, .badRequest)
            XCTAssertEqual(badGeneration.error?.field, "generation")

            supervisor.failing(with: .invalidMessage(field: "id", message: "id is missing"))
            let noID = try await send(.post, "/v1/agents/a/messages", #"{"text": "hi"}"#, [:])
            XCTAssertEqual(noID.status, .badRequest)
            XCTAssertEqual(noID.error?.field, "id")
            supervisor.failing(with: .deliveryConflict("delivery 'm' already exists with a different text"))
            let conflict = try await send(.post, "/v1/agents/a/messages", #"{"id": "m", "text": "other"}"#, [:])
            XCTAssertEqual(conflict.status, .unprocessableContent)
            XCTAssertEqual(conflict.error?.code, "delivery_conflict")
            supervisor.failing(with: .agentNotRunning("a"))
            let notRunning = try await send(.post, "/v1/agents/a/messages", #"{"id": "m2", "text": "hi"}"#, [:])
            XCTAssertEqual(notRunning.status, .conflict)
            XCTAssertEqual(notRunning.error?.code, "agent_not_running")
        }
    }

    func testBadBodiesAreRefusedNamingTheField() async throws {
        let supervisor = FakeSupervisor()
        let cases: [(String, String, String?, String)] = [
            ("/v1/agents", "{not json", nil, "not valid JSON"),
            ("/v1/agents", "", nil, "empty"),
            ("/v1/agents", #"{"name": "a"}"#, "argv", "missing required field"),
            ("/v1/agents", #"{"name": "a", "argv": "sleep 1"}"#, "argv", "wrong type"),
            ("/v1/agents", #"{"name": "a", "argv": ["sleep", 5]}"#, "argv[1]", "wrong type"),
            ("/v1/agents", #"{"name": "a", "argv": []}"#, "argv", "argv"),
            ("/v1/agents", #"{"name": "a", "argv": ["x"], "cwd": "relative"}"#, "cwd", "absolute"),
            ("/v1/agents/a/input", #"{"text": "a", "base64": "YQ=="}"#, "base64", "not both"),
            ("/v1/agents/a/input", #"{"base64": "!!"}"#, "base64", "not valid base64"),
            ("/v1/agents/a/resize", #"{"rows": 10}"#, "cols", "missing required field"),
            ("/v1/dispatches", #"{"issue": {"key": 5}}"#, "issue.key", "wrong type"),
        ]
        try await withRouter(supervisor) { send in
            for (path, body, field, message) in cases {
                let answer = try await send(.post, path, body, [:])
                XCTAssertEqual(answer.status, .badRequest, "\(path) \(body): \(answer.text)")
                XCTAssertEqual(answer.error?.code, "bad_request", "\(body)")
                XCTAssertEqual(answer.error?.field, field, "\(body): \(answer.text)")
                XCTAssertTrue(answer.error?.message.contains(message) ?? false, "\(body): \(answer.text)")
            }
            let unknown = try await send(.get, "/v1/nothing-here", nil, [:])
            XCTAssertEqual(unknown.status, .notFound)
            XCTAssertEqual(unknown.error?.code, "not_found")
        }
        XCTAssertEqual(supervisor.spawnCount, 0, "no bad body reached the supervisor")
        XCTAssertTrue(supervisor.state.withLock { $0.inputs.isEmpty })
    }

    func testGoodBodiesArriveDecoded() async throws {
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor, idempotency: true) { send in
            let spawned = try await send(.post, "/v1/agents", #"{"name": "w", "argv": ["sleep", "9"], "env": {"A": "1"}, "rows": 30, "generation": 4}"#, [:])
            XCTAssertEqual(spawned.status, .created)
            XCTAssertEqual(try JSONDecoder().decode(AgentView.self, from: spawned.body).name, "w")
            let input = try await send(.post, "/v1/agents/w/input", #"{"base64": "aGk=", "enter": true}"#, [:])
            XCTAssertEqual(try JSONDecoder().decode(InputResult.self, from: input.body).bytes, 3)
            let queued = try await send(.post, "/v1/agents/w/messages", #"{"id": "m1", "text": "hello", "await_next_incarnation": true}"#, [:])
            XCTAssertEqual(queued.status, .accepted)
            let again = try await send(.post, "/v1/agents/w/messages", #"{"id": "m1", "text": "hello", "await_next_incarnation": true}"#, [:])
            XCTAssertEqual(again.status, .ok, "a re-posted id is answered 200")
            let batch = try await send(.post, "/v1/commands", #"{"commands": [{"agent": "w", "generation": 4, "index": 1, "command": {"type": "input", "text": "x", "enter": true}}]}"#, [:])
            XCTAssertEqual(try JSONDecoder().decode(StreamCommandResults.self, from: batch.body).results.map(\.status), [.applied])
            let raw = try await send(.get, "/v1/agents/w/output?format=raw&cursor=5", nil, [:])
            XCTAssertEqual(raw.text, "hi")
            XCTAssertEqual(raw.headers[HTTPField.Name(RawOutputHeader.nextCursor)!], "7")
        }
        let state = supervisor.state.withLock { $0 }
        XCTAssertEqual(state.spawned.first?.env, ["A": "1"])
        XCTAssertEqual(state.spawned.first?.rows, 30)
        XCTAssertEqual(state.spawned.first?.generation, 4)
        XCTAssertEqual(state.inputs, [Array("hi\r".utf8)])
        XCTAssertEqual(state.messages.first?.awaitNextIncarnation, true)
        XCTAssertEqual(state.batches.first?.commands.first?.command.type, .input)
    }

    func testIdempotencyKeyReplaysTheStoredAnswerWithoutRunningAgain() async throws {
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor, idempotency: true) { send in
            var headers = HTTPFields()
            headers[HTTPField.Name(APIHeader.idempotencyKey)!] = "key-1"
            let first = try await send(.post, "/v1/agents", #"{"name": "w", "argv": ["sleep", "9"]}"#, headers)
            // The same JSON with its keys in another order is the same request.
            let retry = try await send(.post, "/v1/agents", #"{"argv": ["sleep", "9"], "name": "w"}"#, headers)
            XCTAssertEqual(first.status, .created)
            XCTAssertEqual(retry.status, .created)
            XCTAssertEqual(retry.body, first.body, "the stored answer, byte for byte")
            XCTAssertEqual(retry.headers[HTTPField.Name(APIHeader.replayed)!], "true")
            XCTAssertNil(first.headers[HTTPField.Name(APIHeader.replayed)!])
            XCTAssertEqual(supervisor.spawnCount, 1, "the retry did not spawn again")

            let reused = try await send(.post, "/v1/agents", #"{"name": "other", "argv": ["sleep", "9"]}"#, headers)
            XCTAssertEqual(reused.status, .unprocessableContent)
            XCTAssertEqual(reused.error?.code, "idempotency_key_reused")
            XCTAssertEqual(reused.error?.field, "Idempotency-Key")

            let forgotten = try await send(.delete, "/v1/requests/key-1", nil, [:])
            XCTAssertEqual(forgotten.status, .noContent)
            let afresh = try await send(.post, "/v1/agents", #"{"name": "other", "argv": ["sleep", "9"]}"#, headers)
            XCTAssertEqual(afresh.status, .created)
            XCTAssertEqual(supervisor.spawnCount, 2, "after the acknowledgement the key runs a new request")
            let gone = try await send(.delete, "/v1/requests/never-used", nil, [:])
            XCTAssertEqual(gone.status, .notFound)
            XCTAssertEqual(gone.error?.code, "request_not_found")
        }
    }

    func testErrorAnswersAreReplayedToo() async throws {
        let supervisor = FakeSupervisor()
        supervisor.failing(with: .duplicateName("w"))
        try await withRouter(supervisor, idempotency: true) { send in
            var headers = HTTPFields()
            headers[HTTPField.Name(APIHeader.idempotencyKey)!] = "key-2"
            let first = try await send(.post, "/v1/agents", #"{"name": "w", "argv": ["sleep", "9"]}"#, headers)
            supervisor.failing(with: nil)
            let retry = try await send(.post, "/v1/agents", #"{"name": "w", "argv": ["sleep", "9"]}"#, headers)
            XCTAssertEqual(first.status, .conflict)
            XCTAssertEqual(retry.status, .conflict, "the 409 was stored and is replayed, not run again")
            XCTAssertEqual(retry.headers[HTTPField.Name(APIHeader.replayed)!], "true")
            XCTAssertEqual(supervisor.spawnCount, 0)
        }
    }

    func testAPeerThatIsNotOnAUnixSocketIsRefused() async throws {
        let router = APIRouter.make(supervisor: FakeSupervisor(), allowedUIDs: [0])
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/v1/agents", method: .get) { response in
                XCTAssertEqual(response.status, .forbidden)
                XCTAssertEqual((try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)))?.error.code, "forbidden")
            }
        }
    }
}
