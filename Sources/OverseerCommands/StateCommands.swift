import ArgumentParser
import Foundation
import OverseerClient
import OverseerWire

/// `overseer state NAME [--explain]`: what the agent is doing, from its screen.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Print an agent's state from its screen: starting, idle, working, blocked or exited.",
        discussion: "--explain adds why: the profile, the rule that matched, the screen lines it matched, and the inputs (quiet time, terminal mode)."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String
    @Flag(help: "Also print the explanation: profile, rule, evidence lines and inputs.") var explain = false

    func run() async throws {
        try await reportingErrors {
            let view = try await options.client().state(name)
            if options.json { return try printJSON(view) }
            print(StateLine.render(view))
            if explain, let text = view.explain { print(text, terminator: text.hasSuffix("\n") ? "" : "\n") }
        }
    }
}

/// `overseer wait NAME --until STATE... [--timeout S]`.
struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until an agent's state is one of the given ones.",
        discussion: """
        Prints the state it ended in. Exit codes: 0 the agent reached one of the states; \
        1 --timeout passed first (the state it is in is printed); 2 the agent exited while \
        waiting for another state; 3 cannot reach the supervisor; 4 no such agent; 64 usage \
        error (an unknown state). Without --timeout it waits as long as it takes.
        """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String
    @Option(help: "A state to wait for: idle, working, blocked, exited or starting (repeatable, or comma-separated).")
    var until: [String] = []
    @Option(help: "Seconds to wait at most (default: no limit).") var timeout: Double?

    /// The longest single long poll; a longer wait is several.
    static let pollSeconds = 300.0

    var states: [String] {
        until.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func validate() throws {
        if states.isEmpty { throw ValidationError("give the state(s) to wait for with --until, e.g. --until idle") }
        if let unknown = states.first(where: { !AgentStateView.states.contains($0) }) {
            throw ValidationError("unknown state \"\(unknown)\" for --until (one of \(AgentStateView.states.joined(separator: ", ")))")
        }
        if let timeout, !(timeout.isFinite && timeout >= 0) { throw ValidationError("--timeout must be seconds, 0 or more") }
    }

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            let wanted = Set(states)
            let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int(($0 * 1000).rounded())) }
            var view: AgentStateView
            while true {
                let remaining = deadline.map { max(($0 - ContinuousClock.now).seconds, 0) } ?? Self.pollSeconds
                view = try await client.waitForState(name, until: states, timeout: min(remaining, Self.pollSeconds))
                if wanted.contains(view.state) || view.state == "exited" { break }
                if let deadline, ContinuousClock.now >= deadline { break }
            }
            if options.json { try printJSON(view) } else { print(StateLine.render(view)) }
            if wanted.contains(view.state) { return }
            let list = states.joined(separator: " or ")
            if view.state == "exited" { throw CLIError("\(name) exited while waiting for \(list)", exitCode: 2) }
            throw CLIError("\(name) is still \(view.state) after \(StateLine.seconds(timeout ?? 0)) s of waiting for \(list)", exitCode: 1)
        }
    }
}

/// One line per state: `idle since 2026-12-02T13:51:00Z (12 s)`.
enum StateLine {
    static func render(_ view: AgentStateView, now: Double = Date().timeIntervalSince1970) -> String {
        let since = Date(timeIntervalSince1970: view.since).formatted(.iso8601)
        return "\(view.state) since \(since) (\(seconds(now - view.since)) s)"
    }

    static func seconds(_ value: Double) -> String {
        let tenths = (max(value, 0) * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
