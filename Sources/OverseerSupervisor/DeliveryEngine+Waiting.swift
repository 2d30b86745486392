import Foundation
import OverseerDelivery
import OverseerProfiles
import OverseerTerminal

/// Waiting before typing (for the program to take its terminal; for `when: idle`) and while
/// the agent is busy. Every wait is bounded by its setting, recorded in the delivery's
/// history, and given up at once when the engine stops.
extension DeliveryEngine {
    /// How a wait before typing ended.
    enum TypableOutcome {
        /// Type now.
        case go
        /// The agent is gone, another incarnation runs, or the engine stops: leave it queued.
        case abandon
        /// `when: idle` and the agent never was idle within the bound: fail it (nothing typed).
        case notIdle(String)
    }

    /// The longest slice of a wait between checks of `stopping`.
    static let waitSlice: Duration = .milliseconds(250)

    /// Waits, while `delivery` is still queued, until the program has taken its terminal
    /// (bounded by `delivery_ready_seconds`: then it is typed anyway, and its history says
    /// so), and for `when: idle` until the agent is idle (bounded by `delivery_idle_seconds`).
    func waitUntilTypable(_ delivery: Delivery, live: LiveAgent, skipReadyWait: Bool) async -> TypableOutcome {
        let tracker = live.tracker
        if !skipReadyWait, !tracker.current.verdict.ready {
            let bound = settings.deliveryReadySeconds
            await note(delivery.id, DeliveryHistoryEntry.waitingForReady, "the program has not taken its terminal yet: waiting up to \(Self.seconds(bound))")
            let started = ContinuousClock.now
            let ready = await waitFor(live, seconds: bound) { $0.ready }
            guard await stillCurrent(delivery.agent, live) else { return .abandon }
            let waited = Self.seconds(ContinuousClock.now - started)
            await note(delivery.id, DeliveryHistoryEntry.waitingForReady, ready ? "the program took its terminal after \(waited)" : "typed before the program was ready (waited \(waited))")
        } else if !tracker.current.verdict.ready {
            await note(delivery.id, DeliveryHistoryEntry.waitingForReady, "typed before the program was ready (an earlier delivery already waited \(Self.seconds(settings.deliveryReadySeconds)))")
        }
        guard delivery.when == .idle, tracker.current.verdict.state != .idle else { return .go }
        let bound = settings.deliveryIdleSeconds
        await note(delivery.id, DeliveryHistoryEntry.waitingForIdle, "the agent is \(tracker.current.verdict.state.rawValue): waiting up to \(Self.seconds(bound)) for it to be idle")
        let started = ContinuousClock.now
        let idle = await waitFor(live, seconds: bound) { $0.state == .idle }
        guard await stillCurrent(delivery.agent, live) else { return .abandon }
        let waited = Self.seconds(ContinuousClock.now - started)
        guard idle else { return .notIdle("the agent was not idle within \(Self.seconds(bound)) (still \(tracker.current.verdict.state.rawValue)): nothing was typed") }
        await note(delivery.id, DeliveryHistoryEntry.waitingForIdle, "the agent was idle after \(waited)")
        return .go
    }

    /// How long the fallback `working` (no rule matched) counts as busy after the last output.
    static let busyOutputWindow: Duration = .seconds(1)

    /// While the agent is busy, watches its screen with `look` (bounded by
    /// `delivery_idle_seconds`, recorded with `why`). Busy: `working` by one of its profile's
    /// rules, or `working` for want of an idle rule while it keeps writing output (a program
    /// that draws nothing, or a static screen no rule knows, is not busy: waiting for it
    /// would only wait out the bound). A `working` no rule named is a guess (a program that
    /// redraws all the time looks so forever), so it is waited on for `delivery_typed_seconds`
    /// at most. Returns what `look` found, or nil once not busy.
    func watchWhileBusy<Found>(_ id: String, live: LiveAgent, why: String, _ look: (ScreenSnapshot) -> Found?) async -> Found? {
        guard isBusy(live, outputSeen: true) else { return nil }
        let byRule = live.tracker.current.verdict.rule != nil
        let bound = byRule ? settings.deliveryIdleSeconds : min(settings.deliveryIdleSeconds, settings.deliveryTypedSeconds)
        await note(id, DeliveryHistoryEntry.waitingForIdle, "\(why): waiting up to \(Self.seconds(bound)) for it to finish")
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(bound * 1000))
        var lastEnd = live.ring.end
        var found: Found?
        while ContinuousClock.now < deadline, !stopping {
            found = await watchScreen(live, for: min(Self.busyOutputWindow, deadline - ContinuousClock.now), look)
            if found != nil { break }
            let end = live.ring.end
            defer { lastEnd = end }
            if !isBusy(live, outputSeen: end != lastEnd) { break }
        }
        let state = live.tracker.current.verdict.state.rawValue
        let waited = Self.seconds(ContinuousClock.now - started)
        await note(id, DeliveryHistoryEntry.waitingForIdle, found != nil ? "seen after \(waited)" : isBusy(live, outputSeen: true) ? "still busy after \(waited)" : "the agent is \(state) after \(waited)")
        return found
    }

    /// `working` by a rule, or `working` while output came during the last look.
    func isBusy(_ live: LiveAgent, outputSeen: Bool) -> Bool {
        let verdict = live.tracker.current.verdict
        guard verdict.state == .working, live.terminal.isOpen else { return false }
        return verdict.rule != nil || outputSeen
    }

    /// Waits for a verdict satisfying `accept`, the agent's exit, `seconds`, or the engine's
    /// stop; true when a verdict satisfied it.
    func waitFor(_ live: LiveAgent, seconds: Double, until accept: @escaping @Sendable (AgentStateVerdict) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            let current = live.tracker.current.verdict
            if accept(current) { return true }
            if current.state == .exited || stopping || !live.terminal.isOpen { return false }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return false }
            _ = await live.tracker.wait(timeout: min(remaining, Self.waitSlice), until: accept)
        }
    }

    /// The engine runs and the agent is still the incarnation `live` names.
    func stillCurrent(_ agent: String, _ live: LiveAgent) async -> Bool {
        guard !stopping, live.terminal.isOpen else { return false }
        return await lookup(agent)?.incarnation == live.incarnation
    }

    /// Appends a history event (a failure to store it is logged, never fatal).
    func note(_ id: String, _ event: String, _ reason: String) async {
        _ = await persist(.note(id: id, event: event, reason: reason))
    }

    static func seconds(_ duration: Duration) -> String {
        let value = (duration.seconds * 10).rounded() / 10
        return seconds(value)
    }
}
