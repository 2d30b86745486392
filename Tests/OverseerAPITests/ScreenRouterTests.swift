import Foundation
import HTTPTypes
import OverseerSupervisor
import OverseerWire
import XCTest

/// The screen route and `output?format=plain` over the stand-in supervisor: the text and JSON
/// forms, and the 400s and 404s that name what was wrong.
extension RouterTests {
    func testScreenIsPlainTextLikeCapturePaneOrAScreenViewInJSON() async throws {
        let supervisor = FakeSupervisor()
        try await withRouter(supervisor) { send in
            let text = try await send(.get, "/v1/agents/a/screen", nil, [:])
            XCTAssertEqual(text.status, .ok, text.text)
            XCTAssertEqual(text.headers[.contentType], "text/plain; charset=utf-8")
            XCTAssertEqual(text.text, "$ echo hi\nhi\n", "trailing blank lines trimmed, one final newline")

            let above = try await send(.get, "/v1/agents/a/screen?scrollback=5", nil, [:])
            XCTAssertEqual(above.text, "older\n$ echo hi\nhi\n")

            let json = try await send(.get, "/v1/agents/a/screen?format=json&scrollback=2", nil, [:])
            XCTAssertEqual(json.headers[.contentType], "application/json")
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json.body) as? [String: Any])
            XCTAssertEqual(object["alternate_screen"] as? Bool, false)
            XCTAssertEqual((object["modes"] as? [String: Any])?["bracketed_paste"] as? Bool, true)
            XCTAssertEqual((object["modes"] as? [String: Any])?["application_cursor_keys"] as? Bool, false)
            XCTAssertEqual((object["cursor"] as? [String: Any])?["row"] as? Int, 2)
            XCTAssertEqual(object["scrollback"] as? [String], ["older"])
            let view = try JSONDecoder().decode(ScreenView.self, from: json.body)
            XCTAssertEqual(view.lines, ["$ echo hi", "hi", ""])

            let noScrollback = try await send(.get, "/v1/agents/a/screen?format=json", nil, [:])
            let plain = try XCTUnwrap(try JSONSerialization.jsonObject(with: noScrollback.body) as? [String: Any])
            XCTAssertNil(plain["scrollback"], "scrollback is present only when asked for")
        }
        XCTAssertEqual(supervisor.state.withLock { $0.screenScrollbacks }, [0, 5, 2, 0])
    }

    func testBadScreenQueriesAreRefusedNamingTheParameter() async throws {
        let supervisor = FakeSupervisor()
        let cases: [(String, String, String)] = [
            ("/v1/agents/a/screen?scrollback=-1", "scrollback", "scrollback=-1"),
            ("/v1/agents/a/screen?scrollback=lots", "scrollback", "scrollback=lots"),
            ("/v1/agents/a/screen?scrollback=", "scrollback", "scrollback="),
            ("/v1/agents/a/screen?format=html", "format", "format=html"),
            ("/v1/agents/a/output?format=pdf", "format", "format=pdf"),
            ("/v1/agents/a/output?format=plain&wait=5", "wait", "cannot wait"),
            ("/v1/agents/a/output?format=plain&cursor=x", "cursor", "cursor=x"),
        ]
        try await withRouter(supervisor) { send in
            for (path, field, message) in cases {
                let answer = try await send(.get, path, nil, [:])
                XCTAssertEqual(answer.status, .badRequest, "\(path): \(answer.text)")
                XCTAssertEqual(answer.error?.code, "bad_request", path)
                XCTAssertEqual(answer.error?.field, field, "\(path): \(answer.text)")
                XCTAssertTrue(answer.error?.message.contains(message) ?? false, "\(path): \(answer.text)")
            }
        }
        XCTAssertTrue(supervisor.state.withLock { $0.screenScrollbacks.isEmpty }, "no bad query reached the supervisor")
    }

    func testScreenAndPlainOutputOfAnUnknownAgentAre404sNamingIt() async throws {
        let supervisor = FakeSupervisor()
        supervisor.failing(with: .agentNotFound("ghost"))
        try await withRouter(supervisor) { send in
            for path in ["/v1/agents/ghost/screen", "/v1/agents/ghost/screen?format=json", "/v1/agents/ghost/output?format=plain"] {
                let answer = try await send(.get, path, nil, [:])
                XCTAssertEqual(answer.status, .notFound, path)
                XCTAssertEqual(answer.error?.code, "agent_not_found", path)
                XCTAssertTrue(answer.error?.message.contains("ghost") ?? false, "\(path): \(answer.text)")
            }
        }
    }

    func testPlainOutputIsTheRenderedLinesWithTheRawFormsCursorHeaders() async throws {
        try await withRouter(FakeSupervisor()) { send in
            let answer = try await send(.get, "/v1/agents/a/output?format=plain&cursor=10", nil, [:])
            XCTAssertEqual(answer.status, .ok, answer.text)
            XCTAssertEqual(answer.headers[.contentType], "text/plain; charset=utf-8")
            XCTAssertEqual(answer.text, "hi\nthere\n")
            XCTAssertEqual(answer.headers[HTTPField.Name(RawOutputHeader.start)!], "10")
            XCTAssertEqual(answer.headers[HTTPField.Name(RawOutputHeader.nextCursor)!], "12")
        }
    }
}
