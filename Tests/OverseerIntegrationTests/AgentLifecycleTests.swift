import Foundation
import OverseerWire
import OverseerClient
import OverseerKill
import OverseerProcess
import OverseerSupervisor
import OverseerTestSupport
import XCTest

final class AgentLifecycleTests: SupervisorTestCase {
    override var supervisorEnvironment: [String: String] { ["NOTIFY_SOCKET": "/nonexistent/notify.sock", "WATCHDOG_USEC": "30000000", "LISTEN_FDS": "1"] }

    func testInteractiveBashRoundTripSessionAndMarkers() async throws {
        let info = try await spawn("sh1", ["bash", "--norc", "-i"], env: ["PS1": "$ "])
        try await send("sh1", "echo $((6*7))")
        let text = try await waitForOutput("sh1", containing: "42\r\n")
        XCTAssertFalse(text.contains("sh1-error"))

        // The agent leads its own session on the PTY, and `tty` names that PTY.
        try await send("sh1", "tty; echo tty-done-$((1+1))")
        let ttyOutput = try await waitForOutput("sh1", containing: "tty-done-2\r\n")
        XCTAssertTrue(ttyOutput.contains("/dev/pts/"), ttyOutput)
        let stat = try ProcStat.read(pid: info.pid)
        XCTAssertEqual(stat.sid, info.pid)
        XCTAssertNotEqual(stat.ttyNr, 0)
        XCTAssertEqual(info.identity.startTime, stat.startTime)

        // Grandchildren inherit the markers; systemd's variables are not inherited.
        try await send("sh1", "sh -c 'sleep 600' & echo bg-started-$((2+2))")
        _ = try await waitForOutput("sh1", containing: "bg-started-4\r\n")
        let ready1 = await TestProcesses.waitUntilAsync(timeout: 5) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", info.id).count >= 3 }
        XCTAssertTrue(ready1)
        for pid in TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", info.id) {
            let env = try XCTUnwrap(ProcessSnapshot.environ(of: pid))
            XCTAssertEqual(env["OVERSEER_INCARNATION"], info.incarnation)
            XCTAssertNil(env["NOTIFY_SOCKET"])
            XCTAssertNil(env["WATCHDOG_USEC"])
            XCTAssertNil(env["LISTEN_FDS"])
        }

        // The agent view lists the current tree.
        let detail = try await client.send(.get("/v1/agents/sh1")).decode(AgentView.self)
        XCTAssertGreaterThanOrEqual(detail.tree?.count ?? 0, 3)
        XCTAssertEqual(detail.state, .running)

        let result = try await release("sh1")
        XCTAssertTrue(result.report.clean)
        XCTAssertGreaterThanOrEqual(result.report.processes.count, 3)
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", info.id), [])
        let gone = try await request(.get, "/v1/agents/sh1")
        XCTAssertEqual(gone.status, 404)
    }

    func testReleaseOfAnEscapingTreeLeavesZeroProcessesWithItsMarker() async throws {
        let info = try await spawn("tree", ["sh", "-c", TestProcesses.escapingTree])
        let ready2 = await TestProcesses.waitUntilAsync(timeout: 10) { TestProcesses.escapingTreeSettled(marker: info.id, root: info.pid) }
        XCTAssertTrue(ready2)
        let result = try await release("tree")
        XCTAssertTrue(result.report.clean, "survivors: \(result.report.survivors)")
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", info.id), [])
        XCTAssertTrue(result.report.processes.contains { $0.reason == .marker })
        XCTAssertEqual(TestProcesses.zombies(parent: supervisor.pid), [])
    }

    func testExitIsRecordedAndOrphansAreReaped() async throws {
        // The agent leaves an orphan that exits later: the subreaper must reap it (no zombie).
        _ = try await spawn("quick", ["sh", "-c", "(sleep 0.3 &); exit 3"])
        let ready3 = await TestProcesses.waitUntilAsync(timeout: 10) {
            (try? await self.client.send(.get("/v1/agents/quick")).decode(AgentView.self))?.state == .exited
        }
        XCTAssertTrue(ready3)
        let info = try await client.send(.get("/v1/agents/quick")).decode(AgentView.self)
        XCTAssertEqual(info.exit?.code, 3)
        // The orphan exits 0.3 s after its parent; once it has, the supervisor must have reaped it.
        let orphanExited = await TestProcesses.waitUntilAsync(timeout: 5) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", info.id).isEmpty }
        XCTAssertTrue(orphanExited)
        let supervisorPID = supervisor.pid
        let noZombies = await TestProcesses.waitUntilAsync(timeout: 5) { TestProcesses.zombies(parent: supervisorPID).isEmpty }
        XCTAssertTrue(noZombies, "orphans re-parented to the supervisor are reaped: \(TestProcesses.zombies(parent: supervisorPID))")

        _ = try await spawn("killed", ["sleep", "600"])
        let killedInfo = try await client.send(.get("/v1/agents/killed")).decode(AgentView.self)
        kill(killedInfo.pid, SIGKILL)
        let ready4 = await TestProcesses.waitUntilAsync(timeout: 10) {
            (try? await self.client.send(.get("/v1/agents/killed")).decode(AgentView.self))?.exit?.signal == SIGKILL
        }
        XCTAssertTrue(ready4)
    }

    func testOutputCursorLongPollAndResize() async throws {
        _ = try await spawn("out", ["sh", "-c", "echo one; read x; echo two; trap 'stty size' WINCH; echo armed; while :; do sleep 0.05; done"])
        _ = try await waitForOutput("out", containing: "one")
        let first = try await client.send(.get("/v1/agents/out/output")).decode(OutputResponse.self)
        XCTAssertEqual(first.cursor, 0)
        XCTAssertEqual(first.dropped, 0)
        XCTAssertEqual(Data(base64Encoded: first.data).map { String(decoding: $0, as: UTF8.self) }, first.text)

        // A long poll from the end returns with the new output, well before its 20 s wait ends
        // (OutputRingTests proves a parked waiter wakes; here the poll may also arrive after it).
        let http = client
        let clock = ContinuousClock()
        let polledAt = clock.now
        async let polled = http.send(.get("/v1/agents/out/output?cursor=\(first.next)&wait=20&format=raw"), timeout: .seconds(30))
        try await send("out", "go")
        let raw = try await polled
        XCTAssertLessThan(clock.now - polledAt, .seconds(10))
        XCTAssertEqual(raw.status, 200)
        XCTAssertEqual(raw.header("Overseer-Start"), "\(first.next)")
        let next = try XCTUnwrap(UInt64(raw.header("Overseer-Next-Cursor") ?? ""))
        XCTAssertEqual(next, first.next + UInt64(raw.body.count))

        _ = try await waitForOutput("out", containing: "armed")
        let resized = try await request(.post, "/v1/agents/out/resize", json: #"{"rows": 50, "cols": 132}"#)
        XCTAssertEqual(resized.status, 200, resized.text)
        _ = try await waitForOutput("out", containing: "50 132")
        let bad = try await request(.post, "/v1/agents/out/resize", json: #"{"rows": 0, "cols": 132}"#)
        XCTAssertEqual(bad.status, 400)
        _ = try await release("out")
    }

    func testEventsStreamAndMetrics() async throws {
        let stream = try await client.stream(.get("/v1/events"))
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.header("Content-Type"), "text/event-stream")
        let collector = Task { () -> [String] in
            var types: [String] = []
            for try await event in stream.events {
                types.append(event.event ?? "")
                if event.event == "agent_released" { break }
            }
            return types
        }
        // The stream is subscribed before its response head is sent: no event can be missed.
        _ = try await spawn("ev", ["sleep", "600"])
        _ = try await release("ev")
        let types = try await collector.value
        XCTAssertEqual(types.first, "agent_spawned")
        XCTAssertTrue(types.contains("agent_exited"))
        XCTAssertEqual(types.last, "agent_released")

        let metrics = try await client.send(.get("/metrics")).text
        XCTAssertTrue(metrics.contains("overseer_spawns_total 1"), metrics)
        XCTAssertTrue(metrics.contains("overseer_releases_total 1"), metrics)
        XCTAssertTrue(metrics.contains(#"overseer_signals_sent_total{signal="SIGTERM"} 1"#), metrics)
        XCTAssertTrue(metrics.contains("overseer_agents_running 0"), metrics)
        let health = try await client.send(.get("/healthz")).decode(HealthResponse.self)
        XCTAssertEqual(health.status, "ok")
        XCTAssertEqual(health.pid, supervisor.pid)
    }
}
