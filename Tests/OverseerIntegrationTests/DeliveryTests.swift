import Foundation
import OverseerWire
import OverseerClient
import OverseerDelivery
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// Messages typed into real interactive programs in real PTYs, verified on their screens.
final class DeliveryTests: DeliveryTestCase {
    /// Verified now means submitted, seen on the screen: the history shows typed and submitted.
    func testBashPythonAndCatVerifyOnTheScreen() async throws {
        _ = try await spawn("sh1", ["bash", "--norc", "-i"], env: ["PS1": "$ "])
        _ = try await spawn("py", ["python3", "-i"])
        _ = try await spawn("cat", ["cat"])
        _ = try await waitForOutput("py", containing: ">>>")
        let texts = ["sh1": "echo bash-says-$((40+2))", "py": "print('py', 6*7)", "cat": "hello cat, hello PTY"]
        for (agent, text) in texts {
            let posted = try await post(agent, id: "m-\(agent)", text: text)
            XCTAssertEqual(posted.status, 202, posted.text)
            XCTAssertEqual(posted.accepted?.state, "queued")
            XCTAssertEqual(posted.accepted?.position, 1)
        }
        for agent in texts.keys {
            let final = try await verdict("m-\(agent)")
            XCTAssertEqual(final.state, .verified, "\(agent): \(final)")
            XCTAssertEqual(final.verification, .screen)
            XCTAssertEqual(final.evidence?.kind, "input_cleared", "\(agent): \(final)")
            XCTAssertFalse(final.evidence?.lines.isEmpty ?? true, "\(agent): \(final)")
            let events = final.history?.map(\.event).filter { $0 != "waiting_for_ready" }
            XCTAssertEqual(events, ["queued", "injecting", "injected", "typed", "submitted", "verified"], "\(agent): \(final)")
            XCTAssertNotNil(final.incarnation)
        }
        // The programs did run what was typed.
        _ = try await waitForOutput("sh1", containing: "bash-says-42")
        _ = try await waitForOutput("py", containing: "py 42")
    }

    func testSilentAgentIsUnverifiedAndTypedExactlyOnce() async throws {
        let file = supervisor.directory + "/silent.log"
        _ = try await spawn("silent", ["sh", "-c", "stty -echo; echo ready; while IFS= read -r l; do printf '%s\\n' \"$l\" >> \(file); done"])
        _ = try await waitForOutput("silent", containing: "ready")
        let posted = try await post("silent", id: "quiet-1", text: "nobody echoes this")
        XCTAssertEqual(posted.status, 202, posted.text)
        let final = try await verdict("quiet-1")
        XCTAssertEqual(final.state, .unverified)
        XCTAssertEqual(final.verification, .timeoutFallback)
        XCTAssertTrue(final.reason?.contains("did not show on the screen or in the output within 2 s") ?? false, "\(final)")
        try await typeSentinel("silent", after: file)
        XCTAssertEqual(lines(of: file), ["nobody echoes this", Self.sentinel], "typed exactly once, never re-injected")
    }

    func testOutputFromBeforeTheInjectionDoesNotVerify() async throws {
        _ = try await spawn("prior", ["sh", "-c", "echo said-before-42; stty -echo; while read l; do :; done"])
        _ = try await waitForOutput("prior", containing: "said-before-42")
        _ = try await post("prior", id: "prior-1", text: "said-before-42")
        let final = try await verdict("prior-1")
        XCTAssertEqual(final.state, .unverified, "output produced before the injection must not count: \(final)")
    }

    func testRepostingAnIdNeverQueuesASecondCopy() async throws {
        let file = supervisor.directory + "/dup.log"
        _ = try await spawn("dup", lineLogger(file))
        let first = try await post("dup", id: "same", text: "only once")
        let second = try await post("dup", id: "same", text: "only once")
        XCTAssertEqual(first.status, 202)
        XCTAssertEqual(second.status, 200, second.text)
        XCTAssertEqual(second.accepted?.duplicate, true)
        let conflict = try await post("dup", id: "same", text: "something else")
        XCTAssertEqual(conflict.status, 422, conflict.text)
        XCTAssertTrue(conflict.text.contains("same") && conflict.text.contains("text"), conflict.text)
        let final = try await verdict("same")
        XCTAssertEqual(final.state, .verified)
        try await typeSentinel("dup", after: file)
        XCTAssertEqual(lines(of: file), ["only once", Self.sentinel])
    }

    func testBadInputIsRefusedAndNothingIsStored() async throws {
        _ = try await spawn("target", ["cat"])
        let missingID = try await post("target", id: nil, text: "x")
        XCTAssertEqual(missingID.status, 400)
        XCTAssertEqual(errorField(missingID.text), "id")
        let missingText = try await post("target", id: "no-text", text: nil)
        XCTAssertEqual(missingText.status, 400)
        XCTAssertEqual(errorField(missingText.text), "text")
        let huge = try await post("target", id: "huge", text: String(repeating: "x", count: 65_537))
        XCTAssertEqual(huge.status, 413, huge.text)
        XCTAssertEqual(errorField(huge.text), "text")
        let unknown = try await post("ghost", id: "to-ghost", text: "x")
        XCTAssertEqual(unknown.status, 404, unknown.text)
        let control = try await post("target", id: "bad\nid", text: "x")
        XCTAssertEqual(control.status, 400, control.text)
        let badWhen = try await post("target", id: "bad-when", text: "x", when: "soon")
        XCTAssertEqual(badWhen.status, 400, badWhen.text)
        XCTAssertEqual(errorField(badWhen.text), "when")
        XCTAssertTrue(badWhen.text.contains("soon"), badWhen.text)
        for id in ["no-text", "huge", "to-ghost", "bad-when"] {
            let stored = try await delivery(id)
            XCTAssertNil(stored, "\(id) was stored")
        }
        let pending = try await client.send(.get("/v1/agents/target/deliveries")).decode(DeliveryList.self)
        XCTAssertEqual(pending.deliveries.count, 0)
    }

    static let sentinel = "sentinel-line"

    /// Types a line as raw input behind everything typed so far and waits until the agent has
    /// written it to `file`: whatever was typed before it has arrived by then too.
    func typeSentinel(_ agent: String, after file: String) async throws {
        let typed = try await request(.post, "/v1/agents/\(agent)/input", json: #"{"text": "\#(Self.sentinel)", "enter": true}"#)
        XCTAssertEqual(typed.status, 200, typed.text)
        let arrived = await TestProcesses.waitUntilAsync(timeout: 10) { self.lines(of: file).last == Self.sentinel }
        XCTAssertTrue(arrived, "the sentinel line never arrived: \(lines(of: file))")
    }

    func errorField(_ body: String) -> String? {
        struct Body: Decodable { struct Detail: Decodable { var field: String? }; var error: Detail }
        return (try? JSONDecoder().decode(Body.self, from: Data(body.utf8)))?.error.field
    }

    func testAFullQueueDropsTheOldestAndSaysSo() async throws {
        // An agent that has exited: messages for its next incarnation queue up, untyped.
        let gone = try await spawn("later", ["true"])
        _ = await TestProcesses.waitUntilAsync(timeout: 5) { !TestProcesses.isAlive(gone.pid) }
        let stream = try await client.stream(.get("/v1/events"))
        let collector = Task { () -> [String] in
            var dropped: [String] = []
            for try await event in stream.events where event.event == "delivery_dropped" {
                let parsed = try JSONDecoder().decode(AgentEvent.self, from: Data(event.data.utf8))
                dropped.append(parsed.delivery?.id ?? "?")
                if dropped.count == 44 { break }
            }
            return dropped
        }
        // The stream is subscribed before its response head is sent: no event can be missed.
        var evictedInAnswers: [String] = []
        for index in 0..<300 {
            let posted = try await post("later", id: "q\(index)", text: "message \(index)", awaitNext: true)
            XCTAssertEqual(posted.status, 202, posted.text)
            evictedInAnswers += posted.accepted?.evicted ?? []
        }
        let expected = (0..<44).map { "q\($0)" }
        XCTAssertEqual(evictedInAnswers, expected)
        let dropped = try await collector.value
        XCTAssertEqual(dropped, expected)
        let first = try await delivery("q0")
        XCTAssertEqual(first?.state, .dropped)
        XCTAssertTrue(first?.reason?.contains("256") ?? false, "\(String(describing: first))")
        let pending = try await client.send(.get("/v1/agents/later/deliveries")).decode(DeliveryList.self)
        XCTAssertEqual(pending.deliveries.map(\.id), (44..<300).map { "q\($0)" })
        let metrics = try await client.send(.get("/metrics")).text
        XCTAssertTrue(metrics.contains(#"overseer_deliveries_total{event="dropped"} 44"#), metrics)
    }

    func testCLISendMessageWaitsForTheVerdict() async throws {
        _ = try await spawn("cli-cat", ["cat"])
        let run = try CommandRunner.run([SupervisorProcess.binaryPath, "send", "--socket", supervisor.socketPath, "cli-cat", "--message", "typed by the cli", "--id", "cli-1", "--wait"], directory: supervisor.directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("cli-1: verified (screen)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("evidence (input_cleared): the input area no longer holds the text"), run.stdout)
        XCTAssertTrue(run.stdout.contains("typed by the cli"), "the evidence lines show the text: \(run.stdout)")
        _ = try await spawn("cli-silent", ["sh", "-c", "stty -echo; echo echo-off; while read l; do :; done"])
        _ = try await waitForOutput("cli-silent", containing: "echo-off")
        let silent = try CommandRunner.run([SupervisorProcess.binaryPath, "send", "--socket", supervisor.socketPath, "cli-silent", "--message", "unseen", "--wait"], directory: supervisor.directory)
        XCTAssertEqual(silent.status, 7, silent.stdout + silent.stderr)
        let usage = try CommandRunner.run([SupervisorProcess.binaryPath, "send", "--socket", supervisor.socketPath, "cli-cat", "--wait"], directory: supervisor.directory)
        XCTAssertEqual(usage.status, 64, usage.stderr)
        let badWhen = try CommandRunner.run([SupervisorProcess.binaryPath, "send", "--socket", supervisor.socketPath, "cli-cat", "--message", "x", "--when", "later"], directory: supervisor.directory)
        XCTAssertEqual(badWhen.status, 64, badWhen.stderr)
        XCTAssertTrue(badWhen.stderr.contains("--when"), badWhen.stderr)
    }
}
