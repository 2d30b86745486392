import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import Synchronization
import XCTest

/// Events read from one `/v1/events` connection, in arrival order.
final class EventLog: Sendable {
    private let events = Mutex<[AgentEvent]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Opens the stream (with `Last-Event-ID` when given) and keeps reading until `stop()`.
    static func open(_ client: UnixHTTPClient, lastEventID: String? = nil) async throws -> EventLog {
        let stream = try await client.stream(.get("/v1/events", headers: lastEventID.map { [("Last-Event-ID", $0)] } ?? []))
        guard stream.status == 200 else { throw TestFailure("GET /v1/events answered \(stream.status)") }
        let log = EventLog()
        let reader = Task {
            do {
                for try await event in stream.events {
                    let decoded = try JSONDecoder().decode(AgentEvent.self, from: Data(event.data.utf8))
                    XCTAssertEqual(event.id, String(decoded.sequence), "the id: line is the sequence")
                    XCTAssertEqual(event.event, decoded.type.rawValue)
                    log.events.withLock { $0.append(decoded) }
                }
            } catch {}
        }
        log.task.withLock { $0 = reader }
        return log
    }

    var all: [AgentEvent] { events.withLock { $0 } }

    /// Waits until `condition` holds for the events so far; false after `timeout` seconds.
    func wait(timeout: Double = 30, _ condition: ([AgentEvent]) -> Bool) async -> Bool {
        await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.02) { condition(self.all) }
    }

    /// Closes the connection.
    func stop() {
        task.withLock { $0?.cancel() }
    }
}

final class EventOrderTests: SupervisorTestCase {
    /// 1,000 spawn/release cycles, eight at a time, of roots that exit at once, shortly, or
    /// only when the release kills them: on the stream, every `agent_released` comes after
    /// its incarnation's `agent_exited`, which says how the root really ended.
    func testEveryReleasedAgentExitedFirst() async throws {
        let log = try await EventLog.open(client)
        defer { log.stop() }
        let cycles = 1_000
        let workers = 16
        let programs: [[String]] = [["true"], ["sleep", "0.01"], ["sleep", "30"]]
        let started = ContinuousClock.now
        let client = self.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for cycle in stride(from: worker, to: cycles, by: workers) {
                        let name = "cyc\(cycle)"
                        let body = try ClientRequest.json(.post, "/v1/agents", SpawnRequest(name: name, argv: programs[cycle % programs.count], cwd: "/tmp"))
                        let spawned = try await client.send(body)
                        guard spawned.status == 201 else { throw TestFailure("spawn \(name): \(spawned.status) \(spawned.text)") }
                        let released = try await client.send(ClientRequest(.post, "/v1/agents/\(name)/release"))
                        guard released.status == 200 else { throw TestFailure("release \(name): \(released.status) \(released.text)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let released = await log.wait { events in events.filter { $0.type == .agentReleased }.count >= cycles }
        print("EventOrderTests: \(cycles) cycles in \(ContinuousClock.now - started)")
        XCTAssertTrue(released, "only \(log.all.filter { $0.type == .agentReleased }.count) agent_released events arrived")

        let events = log.all
        XCTAssertFalse(events.contains { $0.type == .eventsLost }, "the test's subscriber fell behind")
        var byIncarnation: [String: [AgentEvent]] = [:]
        for event in events where [.agentSpawned, .agentExited, .agentReleased].contains(event.type) {
            guard let incarnation = event.incarnation else { return XCTFail("no incarnation on \(event)") }
            byIncarnation[incarnation, default: []].append(event)
        }
        XCTAssertEqual(byIncarnation.count, cycles)
        var missing: [String] = []
        for (incarnation, lifecycle) in byIncarnation {
            let types = lifecycle.map(\.type)
            guard types == [.agentSpawned, .agentExited, .agentReleased] else {
                missing.append("\(lifecycle.first?.agent ?? "?") \(incarnation): \(types.map(\.rawValue))")
                continue
            }
            XCTAssertTrue(lifecycle[0].sequence < lifecycle[1].sequence && lifecycle[1].sequence < lifecycle[2].sequence)
            let cycle = Int(lifecycle[0].agent.dropFirst(3)) ?? -1
            let exit = lifecycle[1].exit
            if programs[cycle % programs.count] == ["sleep", "30"] {
                // It ran until the release's signals (SIGTERM, SIGHUP, SIGKILL): the exit must say so.
                XCTAssertNil(exit?.code, lifecycle[0].agent)
                XCTAssertTrue([SIGTERM, SIGHUP, SIGKILL].contains(exit?.signal ?? 0), "\(lifecycle[0].agent): \(String(describing: exit))")
            } else if let code = exit?.code {
                XCTAssertEqual(code, 0, lifecycle[0].agent)
            }
        }
        XCTAssertEqual(missing, [], "\(missing.count) incarnations out of order or without agent_exited")
        let sequences = events.map(\.sequence)
        XCTAssertEqual(sequences, Array(sequences.sorted()), "events arrive in sequence order")
    }
}

final class EventReplayTests: SupervisorTestCase {
    /// A client that reconnects with the last id it saw gets every event it missed, in order,
    /// with no gap and no duplicate.
    func testReconnectWithLastEventIDGetsTheMissedEvents() async throws {
        let first = try await EventLog.open(client)
        _ = try await spawn("before", ["sleep", "600"])
        _ = try await release("before")
        let sawRelease = await first.wait { $0.contains { $0.type == .agentReleased && $0.agent == "before" } }
        XCTAssertTrue(sawRelease)
        first.stop()
        let lastSeen = try XCTUnwrap(first.all.last?.sequence)

        // Missed while disconnected.
        _ = try await spawn("meanwhile", ["sleep", "600"])
        _ = try await release("meanwhile")

        let second = try await EventLog.open(client, lastEventID: String(lastSeen))
        defer { second.stop() }
        _ = try await spawn("after", ["sleep", "600"])
        let complete = await second.wait { $0.contains { $0.type == .agentSpawned && $0.agent == "after" } }
        XCTAssertTrue(complete, "\(second.all.map { "\($0.sequence) \($0.type.rawValue) \($0.agent)" })")
        let events = second.all
        XCTAssertFalse(events.contains { $0.type == .eventsLost })
        XCTAssertEqual(events.first?.sequence, lastSeen + 1, "replay starts right after the id given")
        XCTAssertEqual(events.map(\.sequence), Array((lastSeen + 1)...(lastSeen + UInt64(events.count))), "no gap, no duplicate")
        let missed = events.filter { $0.agent == "meanwhile" }.map(\.type).filter { $0 != .agentState }
        XCTAssertEqual(missed, [.agentSpawned, .agentExited, .agentReleased])
        XCTAssertFalse(events.contains { $0.agent == "before" }, "nothing the client had already seen")
        _ = try await release("after")
    }

    func testBadLastEventIDIsRefused() async throws {
        let response = try await client.send(.get("/v1/events", headers: [("Last-Event-ID", "twelve")]))
        XCTAssertEqual(response.status, 400)
        let error = errorBody(response)
        XCTAssertEqual(error.field, "Last-Event-ID")
        XCTAssertTrue(error.message.contains("twelve"), error.message)
    }
}

final class EventLossTests: SupervisorTestCase {
    override var supervisorEnvironment: [String: String] { ["OVERSEER_EVENT_BUFFER": "16"] }

    /// When the missed events no longer fit the replay buffer, the client is told how many
    /// are gone (and after which id) before the rest arrives.
    func testOverflowedReplayIsMarkedAsLost() async throws {
        let first = try await EventLog.open(client)
        _ = try await spawn("seen", ["sleep", "600"])
        let sawSpawn = await first.wait { $0.contains { $0.type == .agentSpawned && $0.agent == "seen" } }
        XCTAssertTrue(sawSpawn)
        first.stop()
        let lastSeen = try XCTUnwrap(first.all.last?.sequence)
        _ = try await release("seen")
        for index in 0..<10 {
            _ = try await spawn("lost\(index)", ["sleep", "600"])
            _ = try await release("lost\(index)")
        }

        let second = try await EventLog.open(client, lastEventID: String(lastSeen))
        defer { second.stop() }
        let complete = await second.wait { $0.contains { $0.type == .agentReleased && $0.agent == "lost9" } }
        XCTAssertTrue(complete)
        let events = second.all
        let marker = try XCTUnwrap(events.first)
        XCTAssertEqual(marker.type, .eventsLost)
        XCTAssertEqual(marker.lost?.after, lastSeen)
        XCTAssertEqual(marker.lost?.reason, .overflowed)
        let replayed = Array(events.dropFirst())
        let firstKept = try XCTUnwrap(replayed.first?.sequence)
        XCTAssertEqual(marker.lost?.count, firstKept - lastSeen - 1, "the count covers exactly the gap")
        XCTAssertEqual(marker.sequence, firstKept - 1, "the marker's id resumes where the replay does")
        XCTAssertLessThanOrEqual(replayed.count, 16, "no more than the buffer holds")
        XCTAssertEqual(replayed.map(\.sequence), Array(firstKept..<(firstKept + UInt64(replayed.count))))
        XCTAssertEqual(replayed.last?.type, .agentReleased)
    }

    /// An id from an earlier supervisor instance (beyond this one's latest): the client is
    /// told events were lost (count unknown), then gets what this instance still holds.
    func testIdFromAnEarlierInstanceIsMarked() async throws {
        _ = try await spawn("one", ["sleep", "600"])
        _ = try await release("one")
        let log = try await EventLog.open(client, lastEventID: "1000000")
        defer { log.stop() }
        let replayed = await log.wait { $0.contains { $0.type == .agentReleased && $0.agent == "one" } }
        XCTAssertTrue(replayed)
        let marker = try XCTUnwrap(log.all.first)
        XCTAssertEqual(marker.type, .eventsLost)
        XCTAssertEqual(marker.lost?.reason, .restarted)
        XCTAssertNil(marker.lost?.count)
        XCTAssertEqual(log.all.dropFirst().first?.sequence, 1)
    }
}

final class EventsCommandReconnectTests: SupervisorTestCase {
    /// `overseer events` whose connection breaks (the supervisor is SIGKILLed and started
    /// again) reopens the stream with Last-Event-ID: it says events were lost (the new
    /// instance's ids start afresh) and prints the new instance's events; it exits 0 when
    /// the supervisor shuts down.
    func testEventsCommandReconnectsAfterTheConnectionBreaks() async throws {
        let out = supervisor.directory + "/events.out"
        let err = supervisor.directory + "/events.err"
        let outFD = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errFD = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OVERSEER_CONFIG")
        let pid = try spawnPlain(argv: [SupervisorProcess.binaryPath, "events", "--socket", supervisor.socketPath, "--json"], environment: env, stdin: devnull, stdout: outFD, stderr: errFD)
        close(outFD); close(errFD); close(devnull)
        defer { if TestProcesses.isAlive(pid) { kill(pid, SIGKILL); _ = TestProcesses.reap(pid) } }
        func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        func printed() -> [AgentEvent] {
            text(out).split(separator: "\n").compactMap { try? JSONDecoder().decode(AgentEvent.self, from: Data($0.utf8)) }
        }

        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { text(err).contains("[subscribed") }, text(err))
        _ = try await spawn("first", ["sleep", "600"])
        _ = try await release("first")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { printed().contains { $0.type == .agentReleased && $0.agent == "first" } }, text(out))
        let lastSeen = try XCTUnwrap(printed().last?.sequence)

        supervisor.kill9()
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { text(err).contains("reconnecting after event \(lastSeen)") }, text(err))
        XCTAssertTrue(TestProcesses.isAlive(pid), "the command kept trying: \(text(err))")
        try supervisor.start(extraArguments: ["--kill-grace", "2"])
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { text(err).contains("[reconnected after event \(lastSeen)]") }, text(err))
        _ = try await spawn("second", ["sleep", "600"])
        _ = try await release("second")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 20) { printed().contains { $0.type == .agentReleased && $0.agent == "second" } }, text(out))

        let events = printed()
        let marker = try XCTUnwrap(events.first { $0.type == .eventsLost }, text(out))
        XCTAssertEqual(marker.lost?.after, lastSeen)
        XCTAssertEqual(marker.lost?.reason, .restarted)
        let afterMarker = events.drop { $0.type != .eventsLost }.dropFirst().filter { $0.agent == "second" && $0.type != .agentState }.map(\.type)
        XCTAssertEqual(afterMarker, [.agentSpawned, .agentExited, .agentReleased])

        // SIGTERM by hand, and the command reaped before `stop()` sweeps up zombie children.
        kill(supervisor.pid, SIGTERM)
        let status = TestProcesses.reap(pid, timeout: 20)
        supervisor.stop()
        XCTAssertEqual(status, 0, "exit status after the supervisor shut down: \(String(describing: status)); \(text(err))")
    }
}
