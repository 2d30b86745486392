import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest

/// Agent states of real programs in real PTYs under a real `overseer serve`, observed through
/// `overseer wait` / `overseer state` and the SSE `agent_state` events, checked against what
/// the programs really do (/proc: the child a shell runs).
final class AgentStateTests: SupervisorTestCase {
    func testShellGoesStartingIdleWorkingIdleThroughWaitAndEvents() async throws {
        let events = try await collectStateEvents(of: "sh1")
        defer { events.cancel() }
        let spawned = try overseer(["spawn", "sh1", "--", "bash", "--norc", "-i"])
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        XCTAssertTrue(spawned.stdout.contains("profile shell"), spawned.stdout)
        spawnedIDs.append(try await agentID("sh1"))

        let idle = try overseer(["wait", "sh1", "--until", "idle", "--timeout", "30"])
        XCTAssertEqual(idle.status, 0, idle.stdout + idle.stderr)
        XCTAssertTrue(idle.stdout.hasPrefix("idle since "), idle.stdout)

        let explained = try overseer(["state", "sh1", "--explain"])
        XCTAssertEqual(explained.status, 0, explained.stderr)
        XCTAssertTrue(explained.stdout.hasPrefix("idle since "), explained.stdout)
        XCTAssertTrue(explained.stdout.contains("profile: shell\n"), explained.stdout)
        XCTAssertTrue(explained.stdout.contains("rule: shell-prompt (idle"), explained.stdout)
        XCTAssertTrue(explained.stdout.contains("evidence:\n  row 0: "), explained.stdout)
        XCTAssertTrue(explained.stdout.contains("inputs: output quiet for "), explained.stdout)

        let shellPID = try await client.send(.get("/v1/agents/sh1")).decode(AgentView.self).pid
        try await send("sh1", "sleep 2")
        let working = try overseer(["wait", "sh1", "--until", "working", "--timeout", "15"])
        XCTAssertEqual(working.status, 0, working.stdout + working.stderr)
        XCTAssertTrue(children(of: shellPID).contains { $0.comm == "sleep" }, "working while the shell really runs sleep: \(children(of: shellPID))")
        let idleAgain = try overseer(["wait", "sh1", "--until", "idle,blocked", "--timeout", "30"])
        XCTAssertEqual(idleAgain.status, 0, idleAgain.stdout + idleAgain.stderr)
        XCTAssertTrue(idleAgain.stdout.hasPrefix("idle "), idleAgain.stdout)
        XCTAssertFalse(children(of: shellPID).contains { $0.comm == "sleep" }, "idle once sleep has ended")

        // The events, in order: starting → idle, then working, then idle again.
        let seen = await events.wait(timeout: 10) { $0.map(\.state).count >= 3 }
        let states = seen.map(\.state)
        XCTAssertEqual(seen.first?.previous, "starting", "\(states)")
        XCTAssertEqual(Array(states.prefix(3)), ["idle", "working", "idle"], "\(states)")
        for (earlier, later) in zip(seen, seen.dropFirst()) {
            XCTAssertEqual(later.previous, earlier.state, "each event names the state it replaced: \(states)")
        }
        XCTAssertEqual(seen.first?.rule, "shell-prompt")

        let ps = try overseer(["ps"])
        let header = ps.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(header.hasPrefix("NAME") && header.contains("STATUS") && header.contains(" STATE ") && header.contains("PROFILE"), header)
        let row = ps.stdout.split(separator: "\n").first { $0.hasPrefix("sh1 ") }.map { $0.split(separator: " ", omittingEmptySubsequences: true) } ?? []
        XCTAssertEqual(row.count > 4 ? Array(row[2...4]) : [], ["running", "idle", "shell"], ps.stdout)
    }

    func testCatAndPythonWaitingForALineAreIdle() async throws {
        _ = try await spawn("cat1", ["cat"])
        _ = try await spawn("py1", ["python3", "-i", "-q"])
        let cat = try overseer(["wait", "cat1", "--until", "idle", "--timeout", "30", "--json"])
        XCTAssertEqual(cat.status, 0, cat.stdout + cat.stderr)
        let catView = try JSONDecoder().decode(AgentStateView.self, from: Data(cat.stdout.utf8))
        XCTAssertEqual(catView.state, "idle")
        XCTAssertEqual(catView.profile, "generic")
        XCTAssertNil(catView.rule, "cat draws nothing: no rule can match")
        XCTAssertTrue(catView.reason.contains("blocked reading its terminal"), catView.reason)

        let python = try overseer(["wait", "py1", "--until", "idle", "--timeout", "30", "--json"])
        XCTAssertEqual(python.status, 0, python.stdout + python.stderr)
        let pyView = try JSONDecoder().decode(AgentStateView.self, from: Data(python.stdout.utf8))
        XCTAssertEqual(pyView.profile, "python")
        XCTAssertEqual(pyView.rule, "repl-prompt")
        XCTAssertTrue(pyView.evidence.contains { $0.contains(">>>") }, "\(pyView.evidence)")
    }

    func testWaitExitCodes() async throws {
        _ = try await spawn("ex1", ["sh", "-c", "sleep 1"])
        let exited = try overseer(["wait", "ex1", "--until", "exited", "--timeout", "30"])
        XCTAssertEqual(exited.status, 0, exited.stdout + exited.stderr)
        XCTAssertTrue(exited.stdout.hasPrefix("exited since "), exited.stdout)

        _ = try await spawn("ex2", ["sh", "-c", "sleep 1"])
        let exitedFirst = try overseer(["wait", "ex2", "--until", "blocked", "--timeout", "30"])
        XCTAssertEqual(exitedFirst.status, 2, exitedFirst.stdout + exitedFirst.stderr)
        XCTAssertTrue(exitedFirst.stderr.contains("ex2 exited while waiting for blocked"), exitedFirst.stderr)

        _ = try await spawn("idle1", ["bash", "--norc", "-i"])
        XCTAssertEqual(try overseer(["wait", "idle1", "--until", "idle", "--timeout", "30"]).status, 0)
        let started = ContinuousClock.now
        let timedOut = try overseer(["wait", "idle1", "--until", "blocked", "--timeout", "1"])
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(timedOut.status, 1, timedOut.stdout + timedOut.stderr)
        XCTAssertTrue(timedOut.stdout.hasPrefix("idle since "), "prints the state it is in: \(timedOut.stdout)")
        XCTAssertTrue(timedOut.stderr.contains("idle1 is still idle after 1 s"), timedOut.stderr)
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(950), "it waits the whole timeout")
        XCTAssertLessThan(elapsed, .seconds(15), "and not much longer")

        let unknownState = try overseer(["wait", "idle1", "--until", "sleepy"])
        XCTAssertEqual(unknownState.status, 64, unknownState.stderr)
        XCTAssertTrue(unknownState.stderr.contains("unknown state \"sleepy\""), unknownState.stderr)
        let unknownAgent = try overseer(["wait", "ghost", "--until", "idle", "--timeout", "1"])
        XCTAssertEqual(unknownAgent.status, 4, unknownAgent.stderr)
        XCTAssertTrue(unknownAgent.stderr.contains("ghost"), unknownAgent.stderr)
        let noState = try overseer(["state", "ghost"])
        XCTAssertEqual(noState.status, 4, noState.stderr)
        let noSupervisor = try CommandRunner.run(
            [SupervisorProcess.binaryPath, "wait", "idle1", "--until", "idle", "--socket", supervisor.directory + "/missing.sock"],
            directory: supervisor.directory
        )
        XCTAssertEqual(noSupervisor.status, 3, noSupervisor.stderr)
    }

    func testUnknownProfileAtSpawnIsRefusedNamingIt() async throws {
        let refused = try overseer(["spawn", "np1", "--profile", "nosuch", "--", "cat"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("unknown profile \"nosuch\"") && refused.stderr.contains("generic"), refused.stderr)
        let listed = try await client.send(.get("/v1/agents")).decode(AgentList.self)
        XCTAssertTrue(listed.agents.isEmpty, "nothing was spawned")
        let badDelay = try overseer(["spawn", "np2", "--submit-delay-ms", "99999", "--", "cat"])
        XCTAssertNotEqual(badDelay.status, 0)
        XCTAssertTrue(badDelay.stderr.contains("submit_delay_ms"), badDelay.stderr)
    }

    func testEventsCommandPrintsStateChangesReadably() async throws {
        let events = try CommandRunner.start([SupervisorProcess.binaryPath, "events", "--socket", supervisor.socketPath, "--agent", "cat2"], directory: supervisor.directory)
        var stopped = false
        defer { if !stopped { kill(events.pid, SIGKILL); _ = CommandRunner.finish(events, timeout: 10) } }
        // The command prints nothing until it is subscribed; a spawned agent before it would be missed.
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 15) {
            ((try? String(contentsOfFile: events.err, encoding: .utf8)) ?? "").contains("[subscribed")
        }, "overseer events never subscribed")
        _ = try await spawn("other", ["sleep", "600"])
        _ = try await spawn("cat2", ["cat"])
        let wanted = "agent_state cat2 idle <- starting profile=generic"
        let printed = TestProcesses.waitUntil(timeout: 30) {
            ((try? String(contentsOfFile: events.out, encoding: .utf8)) ?? "").contains(wanted)
        }
        let text = (try? String(contentsOfFile: events.out, encoding: .utf8)) ?? ""
        XCTAssertTrue(printed, text)
        XCTAssertTrue(text.contains("agent_spawned cat2 pid="), text)
        XCTAssertFalse(text.contains(" other"), "--agent keeps other agents' events out: \(text)")
        kill(events.pid, SIGTERM)
        stopped = true
        XCTAssertNotEqual(CommandRunner.finish(events, timeout: 10).status, -1, "overseer events ends on SIGTERM")
    }

    /// The id of a CLI-spawned agent, so tearDown can kill what survives it.
    func agentID(_ name: String) async throws -> String {
        try await client.send(.get("/v1/agents/\(name)")).decode(AgentView.self).id
    }
}
