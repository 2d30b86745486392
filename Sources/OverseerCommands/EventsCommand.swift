import ArgumentParser
import Foundation
import OverseerClient
import OverseerWire

/// `overseer events [--agent NAME]`: the supervisor's event stream (`GET /v1/events`), one
/// line per event, until the supervisor shuts down or the command is interrupted. A stream
/// that breaks off is reopened with `Last-Event-ID`, so nothing is missed (or an
/// `events_lost` line says what was).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print lifecycle, delivery and agent_state events as they happen.",
        discussion: "One line per event: time, type, agent, details (agent_state: `STATE <- PREVIOUS`, profile, rule). --json prints each event as one line of JSON. If the connection breaks, the stream is reopened from the last event seen (Last-Event-ID) for up to --reconnect-timeout seconds; events the supervisor no longer holds are reported by an events_lost line."
    )

    @OptionGroup var options: ClientOptions
    @Option(help: "Only this agent's events.") var agent: String?
    @Option(help: "Seconds to keep trying to reopen a broken stream (0: give up at once).") var reconnectTimeout: Double = 30

    func validate() throws {
        guard reconnectTimeout >= 0, reconnectTimeout <= 86_400 else {
            throw ValidationError("--reconnect-timeout must be between 0 and 86400 seconds, got \(reconnectTimeout)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            var events = try await client.events()
            // Subscribed (the supervisor subscribes before it answers): nothing from now on is missed.
            FileHandle.standardError.write(Data("[subscribed to the supervisor's events]\n".utf8))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var lastSeen: UInt64?
            while true {
                do {
                    for try await event in events {
                        lastSeen = event.sequence
                        guard agent == nil || event.agent == agent || event.type == .eventsLost else { continue }
                        let line = options.json ? String(decoding: try encoder.encode(event), as: UTF8.self) : EventLine.render(event)
                        writeAll(1, Array((line + "\n").utf8)) // unbuffered: a pipe sees each event as it comes
                    }
                    return // the supervisor ended the stream: it is shutting down
                } catch let error as CLIError {
                    throw error
                } catch {
                    events = try await reconnect(client, after: lastSeen, brokenBy: error)
                }
            }
        }
    }

    /// Reopens the stream from `after`, retrying while the supervisor cannot be reached.
    private func reconnect(_ client: SupervisorClient, after: UInt64?, brokenBy error: any Error) async throws -> AsyncThrowingStream<AgentEvent, any Error> {
        let from = after.map { "after event \($0)" } ?? "from now"
        guard reconnectTimeout > 0 else { throw CLIError("the event stream broke off: \(error)", exitCode: 3) }
        FileHandle.standardError.write(Data("[the event stream broke off (\(error)); reconnecting \(from)]\n".utf8))
        let deadline = ContinuousClock.now + .milliseconds(Int(reconnectTimeout * 1000))
        while true {
            do {
                let events = try await client.events(after: after)
                FileHandle.standardError.write(Data("[reconnected \(from)]\n".utf8))
                return events
            } catch .unreachable(let reason) {
                guard ContinuousClock.now < deadline else {
                    throw CLIError("the event stream broke off and could not be reopened within \(reconnectTimeout) s: \(reason)", exitCode: 3)
                }
                try await Task.sleep(for: .milliseconds(250))
            } catch {
                throw CLIError(error)
            }
        }
    }
}

/// A readable line for one event.
enum EventLine {
    static func render(_ event: AgentEvent) -> String {
        let time = Date(timeIntervalSince1970: event.time).formatted(.iso8601.time(includingFractionalSeconds: true))
        let agent = event.agent.isEmpty ? "" : " \(event.agent)"
        return "\(time) \(event.type.rawValue)\(agent)" + details(event).map { " " + $0 }.joined()
    }

    static func details(_ event: AgentEvent) -> [String] {
        var parts: [String] = []
        if let state = event.agentState {
            parts.append("\(state.state) <- \(state.previous)")
            parts.append("profile=\(state.profile)")
            if let rule = state.rule { parts.append("rule=\(rule)") }
            if let evidence = state.evidence.first { parts.append("evidence=\(evidence.debugDescription)") }
        }
        if let pid = event.pid, event.type == .agentSpawned { parts.append("pid=\(pid)") }
        if let exit = event.exit { parts.append(exit.code.map { "code=\($0)" } ?? "signal=\(exit.signal ?? 0)") }
        if let killed = event.killed { parts.append("killed=\(killed)") }
        if let survivors = event.survivors { parts.append("survivors=\(survivors)") }
        if let lost = event.lost {
            parts.append("count=\(lost.count.map(String.init) ?? "unknown")")
            parts.append("after=\(lost.after)")
            parts.append("reason=\(lost.reason.rawValue)")
        }
        if let delivery = event.delivery {
            parts.append("delivery=\(delivery.id) \(delivery.state)")
            if let verification = delivery.verification { parts.append("verification=\(verification)") }
            if let reason = delivery.reason { parts.append("reason=\(reason.debugDescription)") }
        }
        return parts
    }
}
