import Foundation
import Synchronization
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest

extension SupervisorTestCase {
    /// Runs `overseer SUBCOMMAND --socket … ARGS` (no socket for `profiles` and `config`).
    func overseer(_ arguments: [String], timeout: Double = 90) throws -> CommandResult {
        let command = arguments[0]
        let socket = ["profiles", "config"].contains(command) ? [] : ["--socket", supervisor.socketPath]
        return try CommandRunner.run([SupervisorProcess.binaryPath, command] + socket + arguments.dropFirst(), directory: supervisor.directory, timeout: timeout)
    }

    /// Starts collecting the `agent_state` events of `agent` from the SSE stream (subscribed
    /// before this returns); read them with `StateEvents.wait`, stop with `cancel()`.
    func collectStateEvents(of agent: String) async throws -> StateEvents {
        let stream = try await client.stream(.get("/v1/events"))
        XCTAssertEqual(stream.status, 200)
        let events = StateEvents()
        events.task = Task {
            for try await event in stream.events where event.event == AgentEvent.Kind.agentState.rawValue {
                let decoded = try JSONDecoder().decode(AgentEvent.self, from: Data(event.data.utf8))
                guard decoded.agent == agent, let info = decoded.agentState else { continue }
                events.received.withLock { $0.append(info) }
            }
        }
        return events
    }

    /// The child processes of `pid` with their command names, from /proc.
    func children(of pid: Int32) -> [(pid: Int32, comm: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> (Int32, String)? in
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == pid else { return nil }
            return (child, String(stat[stat.index(after: open)..<close]))
        }
    }
}

/// The `agent_state` events an SSE subscription has received so far.
final class StateEvents: @unchecked Sendable {
    let received = Mutex<[AgentStateEventInfo]>([])
    var task: Task<Void, any Error>?

    /// Polls until `done` accepts the events (at most `timeout` seconds); returns them either way.
    func wait(timeout: Double, until done: @escaping ([AgentStateEventInfo]) -> Bool) async -> [AgentStateEventInfo] {
        _ = await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.05) { done(self.received.withLock { $0 }) }
        return received.withLock { $0 }
    }

    func cancel() { task?.cancel() }
}
