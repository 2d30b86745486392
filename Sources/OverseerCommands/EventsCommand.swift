import ArgumentParser
import Foundation
import OverseerClient
import OverseerWire

/// `overseer events [--agent NAME]`: the supervisor's event stream (`GET /v1/events`), one
/// line per event, until the supervisor shuts down or the command is interrupted.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print lifecycle, delivery and agent_state events as they happen.",
        discussion: "One line per event: time, type, agent, details (agent_state: `STATE <- PREVIOUS`, profile, rule). --json prints each event as one line of JSON."
    )

    @OptionGroup var options: ClientOptions
    @Option(help: "Only this agent's events.") var agent: String?

    func run() async throws {
        try await reportingErrors {
            let events = try await options.client().events()
            // Subscribed (the supervisor subscribes before it answers): nothing from now on is missed.
            FileHandle.standardError.write(Data("[subscribed to the supervisor's events]\n".utf8))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            do {
                for try await event in events where agent == nil || event.agent == agent {
                    let line = options.json ? String(decoding: try encoder.encode(event), as: UTF8.self) : EventLine.render(event)
                    writeAll(1, Array((line + "\n").utf8)) // unbuffered: a pipe sees each event as it comes
                }
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("the event stream broke off: \(error)", exitCode: 3)
            }
        }
    }
}

/// A readable line for one event.
enum EventLine {
    static func render(_ event: AgentEvent) -> String {
        let time = Date(timeIntervalSince1970: event.time).formatted(.iso8601.time(includingFractionalSeconds: true))
        return "\(time) \(event.type.rawValue) \(event.agent)" + details(event).map { " " + $0 }.joined()
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
        if let delivery = event.delivery {
            parts.append("delivery=\(delivery.id) \(delivery.state)")
            if let verification = delivery.verification { parts.append("verification=\(verification)") }
            if let reason = delivery.reason { parts.append("reason=\(reason.debugDescription)") }
        }
        return parts
    }
}
