import Foundation
import OverseerWire
import OverseerClient
import OverseerSupervisor
import OverseerTestSupport
import XCTest

final class ShutdownTests: XCTestCase {
    func spawn(_ supervisor: SupervisorProcess, _ name: String, _ argv: [String]) async throws -> AgentView {
        let response = try await supervisor.client.send(try .json(.post, "/v1/agents", SpawnRequest(name: name, argv: argv, cwd: "/tmp")))
        XCTAssertEqual(response.status, 201, response.text)
        return try response.decode(AgentView.self)
    }

    /// SIGTERM with agents running: the default policy releases them all; clean exit.
    func testSIGTERMReleasesAgentsAndExitsCleanly() async throws {
        let supervisor = try SupervisorProcess(extraArguments: ["--kill-grace", "1"])
        defer { supervisor.removeFiles() }
        let a = try await spawn(supervisor, "a", ["bash", "--norc", "-i"])
        let b = try await spawn(supervisor, "b", ["sh", "-c", #"sleep 600 & (setsid sh -c "trap '' TERM HUP; sleep 600 &") & wait"#])
        defer {
            TestProcesses.killCarrying("OVERSEER_AGENT_ID", a.id)
            TestProcesses.killCarrying("OVERSEER_AGENT_ID", b.id)
        }
        let ready = await TestProcesses.waitUntilAsync(timeout: 5) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", b.id).count >= 3 }
        XCTAssertTrue(ready)
        let status = supervisor.stop(timeout: 30)
        XCTAssertEqual(status, 0, supervisor.log_())
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", a.id), [])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", b.id), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: supervisor.socketPath), "socket removed on exit")
        let log = supervisor.log_()
        XCTAssertTrue(log.contains("shutting down"), log)
        XCTAssertTrue(log.contains("agent released agent=a"), log)
        XCTAssertTrue(log.contains("agent released agent=b"), log)
    }

    /// SIGQUIT is a graceful stop like SIGTERM (its default action would dump core and leave
    /// the agents unreleased), even when the shell that started serve ignored it.
    func testSIGQUITStopsGracefullyLikeSIGTERM() async throws {
        let supervisor = try SupervisorProcess(extraArguments: ["--kill-grace", "1"])
        defer { supervisor.removeFiles() }
        let agent = try await spawn(supervisor, "q", ["sh", "-c", "trap '' HUP; sleep 600"])
        defer { TestProcesses.killCarrying("OVERSEER_AGENT_ID", agent.id) }
        XCTAssertEqual(supervisor.stop(timeout: 30, signal: SIGQUIT), 0, supervisor.log_())
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", agent.id), [], "released, not left behind")
        let log = supervisor.log_()
        XCTAssertTrue(log.contains("shutting down"), log)
        XCTAssertTrue(log.contains("agent released agent=q"), log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: supervisor.socketPath), "socket removed on exit")
    }

    /// `on_shutdown = leave`: agents keep running after a clean stop, for the reaper.
    func testLeavePolicyLeavesAgentsRunning() async throws {
        let supervisor = try SupervisorProcess(extraArguments: ["--on-shutdown", "leave"])
        defer { supervisor.removeFiles() }
        let agent = try await spawn(supervisor, "stay", ["sh", "-c", "trap '' HUP; sleep 600"])
        defer { TestProcesses.killCarrying("OVERSEER_AGENT_ID", agent.id) }
        XCTAssertEqual(supervisor.stop(), 0)
        XCTAssertTrue(TestProcesses.isAlive(agent.pid), "left for the reaper")
    }

    /// What survives a SIGKILL of the supervisor (documented in the README): the kernel hangs
    /// up each agent's PTY when the master closes, so agents that exit on SIGHUP (shells) end;
    /// those that ignore it, and their daemons, keep running, re-parented away, until reaped.
    func testSIGKILLOfTheSupervisorLeavesSIGHUPIgnoringAgents() async throws {
        let supervisor = try SupervisorProcess()
        defer { supervisor.removeFiles() }
        let shell = try await spawn(supervisor, "shell", ["bash", "--norc", "-i"])
        let stubborn = try await spawn(supervisor, "stubborn", ["sh", "-c", "trap '' HUP; sleep 600 & wait"])
        defer {
            TestProcesses.killCarrying("OVERSEER_AGENT_ID", shell.id)
            TestProcesses.killCarrying("OVERSEER_AGENT_ID", stubborn.id)
        }
        let ready = await TestProcesses.waitUntilAsync(timeout: 5) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", stubborn.id).count == 2 }
        XCTAssertTrue(ready)
        supervisor.kill9()
        let shellGone = await TestProcesses.waitUntilAsync(timeout: 10) { TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", shell.id).isEmpty }
        XCTAssertTrue(shellGone, "an interactive shell exits when its terminal hangs up")
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", stubborn.id).count, 2, "SIGHUP-ignoring agents survive until reaped")
    }
}
