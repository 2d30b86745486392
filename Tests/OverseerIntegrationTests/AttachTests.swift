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
}
