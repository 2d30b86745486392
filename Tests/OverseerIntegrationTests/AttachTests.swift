import COverseerSys
import Foundation
import OverseerWire
import OverseerPTY
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// `overseer attach` run on a real terminal (a PTY this test drives like a person would).
final class AttachTests: SupervisorTestCase {
    func testAttachForwardsKeystrokesWindowSizeAndDetaches() async throws {
        let agent = try await spawn("att", ["sh", "-c", "stty size; echo size-printed; cat"])
        _ = try await waitForOutput("att", containing: "size-printed")

        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OVERSEER_CONFIG")
        let terminal = try Spawner.spawnInPTY(SpawnSpec(
            argv: [SupervisorProcess.binaryPath, "attach", "--socket", supervisor.socketPath, "att"],
            environment: env, rows: 50, cols: 100
        ))
        defer {
            kill(terminal.pid, SIGKILL)
            _ = TestProcesses.reap(terminal.pid)
            close(terminal.masterFD)
        }
        let banner = TestProcesses.readPTY(terminal.masterFD, until: "detach with Ctrl-]")
        XCTAssertTrue(banner.contains("attached to att"), banner)

        // The attach terminal's size was forwarded to the agent's PTY.
        let resized = await TestProcesses.waitUntilAsync(timeout: 10) {
            (try? await self.client.send(.get("/v1/agents/att")).decode(AgentView.self))?.rows == 50
        }
        XCTAssertTrue(resized)
        let info = try await client.send(.get("/v1/agents/att")).decode(AgentView.self)
        XCTAssertEqual(info.cols, 100)

        // Keystrokes typed into the attach terminal reach the agent (cat echoes them back).
        _ = "typed-through-attach\r".withCString { write(terminal.masterFD, $0, strlen($0)) }
        let echoed = TestProcesses.readPTY(terminal.masterFD, until: "typed-through-attach")
        XCTAssertTrue(echoed.contains("typed-through-attach"), echoed)
        _ = try await waitForOutput("att", containing: "typed-through-attach")

        // Ctrl-] detaches; the agent keeps running.
        var detach: UInt8 = 0x1D
        _ = write(terminal.masterFD, &detach, 1)
        let status = TestProcesses.reap(terminal.pid, timeout: 10)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(TestProcesses.isAlive(agent.pid))
        _ = try await release("att")
    }

    func testABurstOfKeystrokesReachesCatInOrderAndTheAgentOutlivesTheDetach() async throws {
        let agent = try await spawn("typist", ["cat"])
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OVERSEER_CONFIG")
        let terminal = try Spawner.spawnInPTY(SpawnSpec(
            argv: [SupervisorProcess.binaryPath, "attach", "--socket", supervisor.socketPath, "typist"], environment: env
        ))
        defer {
            kill(terminal.pid, SIGKILL)
            _ = TestProcesses.reap(terminal.pid)
            close(terminal.masterFD)
        }
        let banner = TestProcesses.readPTY(terminal.masterFD, until: "detach with Ctrl-]")
        XCTAssertTrue(banner.contains("attached to typist"), banner)

        // 150 small writes in a burst: the echo must come back complete and in order.
        let chunks = (0..<150).map { "k\($0)-" }
        for chunk in chunks {
            XCTAssertEqual(chunk.withCString { write(terminal.masterFD, $0, strlen($0)) }, chunk.utf8.count)
        }
        let typed = chunks.joined()
        // Enter: cat prints the line it read, so the program itself received every byte in order.
        _ = "\r".withCString { write(terminal.masterFD, $0, 1) }
        let echoed = TestProcesses.readPTY(terminal.masterFD, until: typed + "\r\n" + typed, timeout: 20)
        XCTAssertTrue(echoed.contains(typed + "\r\n" + typed), "echo or cat's copy incomplete or out of order: \(echoed.suffix(300))")

        // Ctrl-] detaches: the client says so and exits 0; the agent keeps running.
        var detach: UInt8 = 0x1D
        _ = write(terminal.masterFD, &detach, 1)
        let farewell = TestProcesses.readPTY(terminal.masterFD, until: "[detached]")
        XCTAssertTrue(farewell.contains("[detached]"), farewell)
        XCTAssertEqual(TestProcesses.reap(terminal.pid, timeout: 10), 0)
        XCTAssertTrue(TestProcesses.isAlive(agent.pid), "the agent runs on after a detach")
        let info = try await client.send(.get("/v1/agents/typist")).decode(AgentView.self)
        XCTAssertEqual(info.state, .running)
        _ = try await release("typist")
    }

    func testAttachingToAMissingAgentNamesItAndFails() throws {
        let run = try CommandRunner.run([SupervisorProcess.binaryPath, "attach", "--socket", supervisor.socketPath, "nobody"], directory: supervisor.directory)
        XCTAssertEqual(run.status, 4, run.stderr)
        XCTAssertTrue(run.stderr.contains("nobody"), run.stderr)
    }
}
