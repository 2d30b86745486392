import Foundation
import OverseerWire
import OverseerClient
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// Malformed requests get a 4xx JSON error naming what was wrong, and never hurt the daemon.
final class APIErrorTests: SupervisorTestCase {
    func testMalformedSpawnRequests() async throws {
        let cases: [(String, Int, String?, String)] = [
            ("{not json", 400, nil, "not valid JSON"),
            ("", 400, nil, "empty"),
            (#"{"name": "a"}"#, 400, "argv", "missing required field \"argv\""),
            (#"{"argv": ["sleep", "1"]}"#, 400, "name", "missing required field \"name\""),
            (#"{"name": "a", "argv": "sleep 1"}"#, 400, "argv", "wrong type"),
            (#"{"name": "a", "argv": ["sleep", 5]}"#, 400, "argv[1]", "wrong type"),
            (#"{"name": "a", "argv": []}"#, 400, "argv", "argv"),
            (#"{"name": "a b", "argv": ["sleep", "1"]}"#, 400, "name", "invalid agent name"),
            (#"{"name": "a", "argv": ["sleep", "1"], "rows": 0}"#, 400, "rows", "out of range"),
            (#"{"name": "a", "argv": ["sleep", "1"], "cwd": "relative"}"#, 400, "cwd", "absolute"),
            (#"{"name": "a", "argv": ["no-such-program-xyz"]}"#, 422, "argv[0]", "executable not found"),
            (#"{"name": "a", "argv": ["sleep", "1"], "env": {"A=B": "x"}}"#, 422, "env.A=B", "environment variable \"A=B\""),
            (#"{"name": "a", "argv": ["sleep", "1"], "env": {"OK": "x\u0000y"}}"#, 422, "env.OK", "NUL"),
            (#"{"name": "a", "argv": ["sleep", "1"], "env": {"A": 1}}"#, 400, "env.A", "wrong type"),
            (#"{"name": "a", "argv": ["sleep", "1"], "env": ["A=1"]}"#, 400, "env", "wrong type"),
            (#"{"name": "a", "argv": ["sleep", "1"], "cwd": "/nonexistent-overseer-cwd"}"#, 422, "cwd", "/nonexistent-overseer-cwd"),
            (#"{"name": "a", "argv": ["sleep", "1"], "cols": 0}"#, 400, "cols", "out of range"),
        ]
        for (body, status, field, message) in cases {
            let response = try await request(.post, "/v1/agents", json: body)
            let error = errorBody(response)
            XCTAssertEqual(response.status, status, "\(body): \(response.text)")
            XCTAssertEqual(error.field, field, "\(body): \(response.text)")
            XCTAssertTrue(error.message.contains(message), "\(body): \(error.message)")
            XCTAssertEqual(response.header("Content-Type"), "application/json")
        }
        let list = try await client.send(.get("/v1/agents")).decode(AgentList.self)
        XCTAssertEqual(list.agents.count, 0, "nothing was spawned by bad requests")
    }

    func testUnknownAgentDuplicateNameAndOversizeInput() async throws {
        for (method, path) in [(ClientRequest.Method.get, "/v1/agents/ghost"), (.post, "/v1/agents/ghost/release"), (.get, "/v1/agents/ghost/output")] {
            let response = try await request(method, path, json: method == .post ? "{}" : nil)
            XCTAssertEqual(response.status, 404, path)
            XCTAssertEqual(errorBody(response).code, "agent_not_found")
        }
        let input = try await request(.post, "/v1/agents/ghost/input", json: #"{"text": "x"}"#)
        XCTAssertEqual(input.status, 404)

        _ = try await spawn("dup", ["sleep", "600"])
        let duplicate = try await request(.post, "/v1/agents", json: #"{"name": "dup", "argv": ["sleep", "1"]}"#)
        XCTAssertEqual(duplicate.status, 409)
        XCTAssertEqual(errorBody(duplicate).code, "duplicate_name")

        let big = String(repeating: "x", count: 65537)
        let oversize = try await request(.post, "/v1/agents/dup/input", json: #"{"text": "\#(big)"}"#)
        XCTAssertEqual(oversize.status, 413)
        XCTAssertTrue(errorBody(oversize).message.contains("65536"))
        let both = try await request(.post, "/v1/agents/dup/input", json: #"{"text": "a", "base64": "YQ=="}"#)
        XCTAssertEqual(both.status, 400)
        let badBase64 = try await request(.post, "/v1/agents/dup/input", json: #"{"base64": "!!"}"#)
        XCTAssertEqual(badBase64.status, 400)
        let badCursor = try await request(.get, "/v1/agents/dup/output?cursor=abc")
        XCTAssertEqual(badCursor.status, 400)
        XCTAssertEqual(errorBody(badCursor).field, "cursor")
        let unknownRoute = try await request(.get, "/v1/nothing-here")
        XCTAssertEqual(unknownRoute.status, 404)
        XCTAssertEqual(errorBody(unknownRoute).code, "not_found")

        // Still healthy after all of that.
        let health = try await request(.get, "/healthz")
        XCTAssertEqual(health.status, 200)
        _ = try await release("dup")
    }

    /// The kernel's word on the peer (SO_PEERCRED) decides, not the socket file's mode.
    func testClientOfAnotherUIDIsRefused() async throws {
        try XCTSkipUnless(getuid() == 0, "needs root to run a client as another uid")
        chmod(supervisor.directory, 0o755)
        chmod(supervisor.socketPath, 0o777)
        let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(b"GET /v1/agents HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        print(data.decode(errors="replace"))
        """
        let outPath = supervisor.directory + "/peer.out"
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let pid = try spawnPlain(argv: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, supervisor.socketPath], environment: ["PATH": "/usr/bin:/bin"], stdout: out, stderr: out)
        close(out)
        XCTAssertNotNil(TestProcesses.reap(pid, timeout: 20))
        let answer = try String(contentsOfFile: outPath, encoding: .utf8)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 403"), answer)
        XCTAssertTrue(answer.contains("peer uid 65534"), answer)
        // Root (the owner here) is still served.
        let ok = try await request(.get, "/v1/agents")
        XCTAssertEqual(ok.status, 200)
    }
}
