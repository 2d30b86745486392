import ArgumentParser
import Foundation
import OverseerClient
import OverseerWire

/// `overseer send NAME TEXT [--enter]` types raw input; `overseer send NAME --message TEXT
/// [--when idle]` queues a durable delivery, typed as a person types and verified on the screen.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Type into an agent's terminal: raw input, or a durable message (--message).",
        discussion: """
        With --message the text is stored before the supervisor answers, typed when the agent's \
        turn comes (text, a settle pause, Enter) and verified on its screen: verified means the \
        program took it (its input area no longer holds the text). --when idle waits for the \
        agent to be idle first. --wait blocks until the verdict, prints the check that reached it \
        and the screen lines it saw, and exits 0 (verified), 7 (typed but unverified) or 8 \
        (failed or dropped).
        """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String
    @Argument(help: "Raw text to type (without --message).") var text: String?
    @Flag(help: "Raw input: append a carriage return (press Enter).") var enter = false
    @Option(help: "Queue this text as a delivery (a carriage return follows unless --no-submit).") var message: String?
    @Option(help: "Delivery id (default: a fresh UUID); re-sending an id never queues a second copy.") var id: String?
    @Flag(name: .customLong("no-submit"), help: "Do not press Enter after the message.") var noSubmit = false
    @Flag(help: "Send ESC before the message (interrupts most agent CLIs).") var interrupt = false
    @Flag(name: .customLong("await-next-incarnation"), help: "Keep the message queued across the agent's exit, for its next incarnation.") var awaitNext = false
    @Option(help: "When to type the message: now (at its turn) or idle (once the agent is idle).") var when: String?
    @Flag(help: "Wait until the delivery is verified, unverified or failed.") var wait = false
    @Option(help: "Seconds --wait waits at most.") var timeout: Double = 120

    func validate() throws {
        if message == nil && text == nil { throw ValidationError("give the TEXT to type, or --message TEXT") }
        if message != nil && text != nil { throw ValidationError("give either TEXT (raw input) or --message, not both") }
        if message == nil && (id != nil || wait || noSubmit || interrupt || awaitNext || when != nil) {
            throw ValidationError("--id, --wait, --no-submit, --interrupt, --await-next-incarnation and --when go with --message")
        }
        if let when, DeliveryView.When(rawValue: when) == nil {
            throw ValidationError("--when is \"\(when)\"; it must be now or idle")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            guard let message else {
                let result = try await client.input(name, InputRequest(text: text ?? "", enter: enter))
                if options.json { try printJSON(result) }
                return
            }
            let request = MessageRequest(id: id ?? UUID().uuidString.lowercased(), text: message, submit: !noSubmit, interrupt: interrupt, awaitNextIncarnation: awaitNext, when: when)
            let accepted = try await client.submitMessage(to: name, request)
            guard wait else {
                if options.json { return try printJSON(accepted) }
                let place = accepted.position.map { " at position \($0)" } ?? ""
                print("\(accepted.duplicate ? "already known" : "queued") \(accepted.id) for \(name)\(place) (\(accepted.state))")
                for evicted in accepted.evicted { print("dropped \(evicted): the queue is full") }
                return
            }
            let final = try await waitForVerdict(accepted.id, client: client)
            if options.json { try printJSON(final) } else {
                print("\(final.id): \(final.state.rawValue)" + (final.verification.map { " (\($0.rawValue))" } ?? "") + (final.reason.map { ": \($0)" } ?? ""))
                if let evidence = final.evidence {
                    print("evidence (\(evidence.kind)): \(evidence.summary)")
                    for line in evidence.lines { print("  \(line)") }
                }
            }
            switch final.state {
            case .verified: return
            case .unverified: throw CLIError("\(final.id) was typed but its submission was not seen", exitCode: 7)
            default: throw CLIError("\(final.id) was not delivered: \(final.state.rawValue)", exitCode: 8)
            }
        }
    }

    func waitForVerdict(_ id: String, client: SupervisorClient) async throws -> DeliveryView {
        let deadline = Date().addingTimeInterval(timeout)
        var pause = 0.05
        while true {
            let delivery = try await client.delivery(id)
            if delivery.state.isTerminal { return delivery }
            if Date() >= deadline { throw CLIError("\(id) is still \(delivery.state.rawValue) after \(timeout) s", exitCode: 1) }
            try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
            pause = min(pause * 2, 0.5)
        }
    }
}
