import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest

/// Messages into real programs (prompt_toolkit, bash, Python, cat, the fixture TUIs), typed as
/// a person types and verified on the screen. Ground truth is what each program received (the
/// file it appends to); every verdict must equal it: verified ⇔ received, exactly once, whole.
final class ScreenDeliveryTests: DeliveryTestCase {
    override var supervisorEnvironment: [String: String] {
        ["OVERSEER_DELIVERY_TYPED_SECONDS": "3", "OVERSEER_DELIVERY_READY_SECONDS": "10", "OVERSEER_DELIVERY_IDLE_SECONDS": "30"]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let long = "long:" + String(repeating: "0123456789abcdefghijklmnopqrstuvwxyz-", count: 16).prefix(595)
    static let unicode = "héllo wörld — ünïcödé ✓ ñ"
    static let single = "a single line from overseer"

    func fixture(_ name: String) -> String { Self.fixtures + "/" + name }

    func spawn(_ name: String, _ argv: [String], profile: String? = nil, submitDelayMs: Int? = nil, env: [String: String] = [:]) async throws {
        let request = SpawnRequest(name: name, argv: argv, cwd: "/tmp", env: env, cols: 100, profile: profile, submitDelayMs: submitDelayMs)
        let response = try await client.send(try .json(.post, "/v1/agents", request))
        XCTAssertEqual(response.status, 201, response.text)
        spawnedIDs.append(try response.decode(AgentView.self).id)
    }

    /// The texts a fixture logged (`{"n": N, "text": ...}` lines).
    func received(_ file: String) -> [String] {
        struct Entry: Decodable { var text: String }
        return lines(of: file).compactMap { try? JSONDecoder().decode(Entry.self, from: Data($0.utf8)).text }
    }

    /// The lines a program appended to `file` (complete lines only).
    func appended(_ file: String) -> [String] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var parts = text.components(separatedBy: "\n")
        parts.removeLast() // after the last newline: empty, or a line still being written
        return parts
    }

    /// Posts `texts` in order (ids `prefix-N`), waits for each verdict.
    func deliver(_ agent: String, _ texts: [String], prefix: String, when: String? = nil) async throws -> [DeliveryView] {
        for (index, text) in texts.enumerated() {
            let posted = try await post(agent, id: "\(prefix)-\(index)", text: text, when: when)
            XCTAssertEqual(posted.status, 202, posted.text)
        }
        var verdicts: [DeliveryView] = []
        for index in texts.indices { verdicts.append(try await verdict("\(prefix)-\(index)", timeout: 60)) }
        return verdicts
    }

    /// Waits until the truth file holds `expected` (or stops changing), then checks that every
    /// verdict says what the truth says, and that a screen verdict shows its evidence.
    func assertTruth(_ verdicts: [DeliveryView], expected: [String], truth: @escaping () -> [String], file: StaticString = #filePath, line: UInt = #line) async {
        _ = await TestProcesses.waitUntilAsync(timeout: 15) { truth().count >= expected.count }
        try? await Task.sleep(for: .milliseconds(300)) // anything extra (a duplicate) shows up too
        let got = truth()
        XCTAssertEqual(got, expected, "received exactly once, complete, in order", file: file, line: line)
        for verdict in verdicts {
            let wasReceived = got.filter { $0 == verdict.text }.count == 1
            XCTAssertEqual(verdict.state == .verified, wasReceived, "verdict \(verdict.state) for \(verdict.text.debugDescription) but received: \(wasReceived); \(verdict)", file: file, line: line)
            if verdict.verification == .screen && verdict.state == .verified {
                XCTAssertFalse(verdict.evidence?.lines.isEmpty ?? true, "screen evidence: \(verdict)", file: file, line: line)
            }
        }
    }

    func testPromptToolkitWithBracketedPaste() async throws {
        let log = supervisor.directory + "/ptk.jsonl"
        try await spawn("ptk", ["python3", fixture("ptk_repl.py"), "--log", log])
        let texts = [Self.single, Self.long, "alpha\nbeta\ngamma", Self.unicode] + (1...10).map { "back to back \($0)" }
        let verdicts = try await deliver("ptk", texts, prefix: "ptk")
        await assertTruth(verdicts, expected: texts) { self.received(log) }
        XCTAssertTrue(verdicts.allSatisfy { $0.verification == .screen }, "\(verdicts.map(\.verification))")
    }

    func testPromptToolkitWithoutBracketedPaste() async throws {
        let log = supervisor.directory + "/ptk-plain.jsonl"
        try await spawn("plain", ["python3", fixture("ptk_repl.py"), "--log", log, "--no-bracketed-paste"])
        let texts = [Self.single, Self.long, Self.unicode] + (1...10).map { "plain \($0)" }
        let verdicts = try await deliver("plain", texts, prefix: "plain")
        await assertTruth(verdicts, expected: texts) { self.received(log) }
        // Without bracketed paste each newline is Enter to it: three messages, never this one.
        let multi = try await deliver("plain", ["one\ntwo\nthree"], prefix: "plain-multi")
        await assertTruth(multi, expected: texts + ["one", "two", "three"]) { self.received(log) }
    }

    func testBash() async throws {
        let file = supervisor.directory + "/bash.txt"
        try await spawn("bash", ["bash", "--norc", "-i"], env: ["PS1": "$ "])
        func command(_ text: String) -> String { "printf '%s\\n' '\(text)' >> \(file)" }
        let lines = [Self.single, Self.long, Self.unicode] + (1...10).map { "bash line \($0)" }
        var verdicts = try await deliver("bash", lines.map(command), prefix: "bash")
        // Multi-line: one bracketed paste of two commands, both run.
        verdicts += try await deliver("bash", [command("first of two") + "\n" + command("second of two")], prefix: "bash-multi")
        // Busy: a command that runs for a while, then a message typed meanwhile.
        verdicts += try await deliver("bash", ["sleep 2"], prefix: "bash-sleep")
        verdicts += try await deliver("bash", [command("typed while busy")], prefix: "bash-busy")
        let expected = lines + ["first of two", "second of two", "typed while busy"]
        _ = await TestProcesses.waitUntilAsync(timeout: 15) { self.appended(file).count >= expected.count }
        XCTAssertEqual(appended(file), expected)
        XCTAssertTrue(verdicts.allSatisfy { $0.state == .verified && $0.verification == .screen }, "\(verdicts)")
    }

    func testPython() async throws {
        let file = supervisor.directory + "/python.txt"
        try await spawn("py", ["python3", "-i"])
        func write(_ text: String) -> String { "open('\(file)', 'a').write('\(text)\\n')" }
        let lines = [Self.single, Self.long, Self.unicode] + (1...10).map { "python line \($0)" }
        var verdicts = try await deliver("py", lines.map(write), prefix: "py")
        // Multi-line: one statement over two lines (Python runs it when the parenthesis closes).
        verdicts += try await deliver("py", ["open('\(file)', 'a').write('two-line '\n'statement\\n')"], prefix: "py-multi")
        verdicts += try await deliver("py", ["import time; time.sleep(2)"], prefix: "py-sleep")
        verdicts += try await deliver("py", [write("typed while busy")], prefix: "py-busy")
        let expected = lines + ["two-line statement", "typed while busy"]
        _ = await TestProcesses.waitUntilAsync(timeout: 15) { self.appended(file).count >= expected.count }
        XCTAssertEqual(appended(file), expected)
        XCTAssertTrue(verdicts.allSatisfy { $0.state == .verified && $0.verification == .screen }, "\(verdicts)")
    }

    func testCat() async throws {
        let file = supervisor.directory + "/cat.txt"
        try await spawn("cat", ["sh", "-c", "exec cat >> \(file)"])
        let texts = [Self.single, Self.long, "alpha\nbeta\ngamma", Self.unicode] + (1...10).map { "cat line \($0)" }
        let verdicts = try await deliver("cat", texts, prefix: "cat")
        let expected = texts.flatMap { $0.components(separatedBy: "\n") }
        _ = await TestProcesses.waitUntilAsync(timeout: 15) { self.appended(file).count >= expected.count }
        XCTAssertEqual(appended(file), expected, "every line exactly once, in order")
        XCTAssertTrue(verdicts.allSatisfy { $0.state == .verified && $0.verification == .screen }, "\(verdicts)")
    }

    /// Enter is swallowed while the fixture is busy: the text stays in its input, Overseer
    /// waits for the turn to end and presses Enter again (never retyping); `when: idle`
    /// waits before typing at all, and says so in the history.
    /// The fixture draws like Claude Code (`esc to interrupt` while busy, a `> ` input row),
    /// so it runs with that profile: its rules tell busy from idle.
    func testBusyAgentGetsItsMessageOnceItIsIdle() async throws {
        let log = supervisor.directory + "/busy.jsonl"
        try await spawn("busy", ["python3", fixture("busy_tui.py"), "--log", log, "--busy-seconds", "2"], profile: "claude")
        var verdicts = try await deliver("busy", ["first turn"], prefix: "busy-first")
        verdicts += try await deliver("busy", ["sent while busy"], prefix: "busy-now")
        let now = verdicts[1]
        XCTAssertTrue(now.history?.contains { $0.event == "enter_pressed_again" } ?? false, "\(now)")
        XCTAssertTrue(now.history?.contains { $0.event == "waiting_for_idle" } ?? false, "\(now)")
        verdicts += try await deliver("busy", ["waits for idle"], prefix: "busy-idle", when: "idle")
        let idle = verdicts[2]
        XCTAssertEqual(idle.when, .idle)
        XCTAssertTrue(idle.history?.contains { $0.event == "waiting_for_idle" && ($0.reason ?? "").contains("idle after") } ?? false, "\(idle)")
        XCTAssertFalse(idle.history?.contains { $0.event == "enter_pressed_again" } ?? true, "typed only once idle: one Enter was enough: \(idle)")
        await assertTruth(verdicts, expected: ["first turn", "sent while busy", "waits for idle"]) { self.received(log) }
    }

    /// With the generic profile the fixture, redrawing every 100 ms, looks `working` forever:
    /// the swallowed Enter is pressed again after a bounded wait, and the verdict is the truth.
    func testBusyAgentUnderTheGenericProfile() async throws {
        let log = supervisor.directory + "/busy-generic.jsonl"
        try await spawn("busyg", ["python3", fixture("busy_tui.py"), "--log", log, "--busy-seconds", "2"])
        let started = ContinuousClock.now
        let verdicts = try await deliver("busyg", ["first turn", "sent while busy"], prefix: "busyg")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(25), "a guessed working state is not waited on for delivery_idle_seconds")
        await assertTruth(verdicts, expected: ["first turn", "sent while busy"]) { self.received(log) }
    }

    /// An Enter right after a burst of keys is a newline to it: the settle pause makes it a submit.
    func testPasteBurstWithTheDefaultSettleIsSubmitted() async throws {
        let log = supervisor.directory + "/burst.jsonl"
        try await spawn("burst", ["python3", fixture("paste_burst_tui.py"), "--log", log])
        let verdicts = try await deliver("burst", ["settled message", "another settled one"], prefix: "burst")
        await assertTruth(verdicts, expected: ["settled message", "another settled one"]) { self.received(log) }
        for verdict in verdicts {
            XCTAssertFalse(verdict.history?.contains { $0.event == "enter_pressed_again" } ?? true, "the first Enter submitted: \(verdict)")
        }
    }

    /// Without a pause the first Enter is a newline; whatever happens next, the verdict must
    /// be what the fixture's log says (an Enter re-press may legitimately submit it).
    func testPasteBurstWithoutAPauseIsNeverReportedWrongly() async throws {
        let log = supervisor.directory + "/burst0.jsonl"
        try await spawn("burst0", ["python3", fixture("paste_burst_tui.py"), "--log", log], submitDelayMs: 0)
        let verdicts = try await deliver("burst0", ["no pause at all"], prefix: "burst0")
        _ = await TestProcesses.waitUntilAsync(timeout: 3) { !self.received(log).isEmpty }
        let got = received(log)
        XCTAssertLessThanOrEqual(got.count, 1, "\(got)")
        XCTAssertEqual(verdicts[0].state == .verified, got == ["no pause at all"], "verdict \(verdicts[0]) vs truth \(got)")
    }

    /// A multi-line paste shows as `[Pasted text #1 +3 lines]`: the placeholder counts as typed.
    func testPastePlaceholderCountsAsTyped() async throws {
        let log = supervisor.directory + "/collapse.jsonl"
        try await spawn("collapse", ["python3", fixture("paste_collapse_tui.py"), "--log", log], profile: "claude")
        let verdicts = try await deliver("collapse", ["alpha\nbeta\ngamma", "one line"], prefix: "collapse")
        await assertTruth(verdicts, expected: ["alpha\nbeta\ngamma", "one line"]) { self.received(log) }
        let typed = verdicts[0].history?.first { $0.event == "typed" }
        XCTAssertTrue(typed?.reason?.contains("placeholder") ?? false, "\(verdicts[0])")
    }
}
