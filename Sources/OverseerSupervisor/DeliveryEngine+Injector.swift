import Foundation
import OverseerDelivery
import OverseerPTY

/// One agent's injector: FIFO, one delivery at a time, paced by the agent's throttle; each
/// waits (while queued) until the program can take it, then is typed and verified.
extension DeliveryEngine {
    /// How a write of a whole delivery ended.
    enum WriteOutcome {
        /// Every byte was taken by the PTY.
        case complete
        /// Nothing was typed (input buffer full, or a write error): safe to retry.
        case nothingTyped(String)
        /// Part of it was typed and the rest could not be: retrying would type it twice.
        case partial(String)
    }

    /// How long a delivery whose first bytes were taken may take to be written entirely.
    static let writeCompletionSeconds = 2.0
    /// The pause after ESC, so the agent sees a lone ESC rather than the start of a key sequence.
    static let interruptPause: Duration = .milliseconds(50)

    /// Types queued deliveries until none is left, the agent is gone, or the engine stops.
    func drain(_ agent: String) async {
        while true {
            if await injectNext(agent) { continue }
            if !stopping, rekicked.remove(agent) != nil { continue }
            running.remove(agent)
            return
        }
    }

    /// Types and verifies the agent's next queued delivery. False when there is nothing to
    /// do now (no delivery, no live terminal, or stopping).
    func injectNext(_ agent: String) async -> Bool {
        guard !stopping, let live = await lookup(agent), live.terminal.isOpen else { return false }
        let next: Delivery?
        do {
            next = try await store.perform(.nextQueued(agent: agent))
        } catch {
            logger.error("delivery store read failed", metadata: ["agent": "\(agent)", "error": "\(error)"])
            return false
        }
        guard let delivery = next else { return false }
        await waitForThrottle(agent)
        guard await stillCurrent(agent, live) else { return false }
        switch await typable(delivery, live: live) {
        case .go: break
        case .abandon: return false
        case .notIdle(let reason):
            await fail(delivery.id, reason: reason, agent: agent, live: live, pending: true)
            return true
        }

        do {
            _ = try await store.perform(.markInjecting(id: delivery.id, incarnation: live.incarnation))
            pendingCount -= 1
        } catch {
            // Dropped or failed meanwhile (queue overflow, recipient gone): take the next one.
            logger.info("delivery no longer injectable", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return true
        }
        defer { lastInjection[agent] = .now }
        switch await typeAndVerify(delivery, live: live) {
        case .typed(let verdict):
            await record(agent, verdict, live: live, id: delivery.id)
        case .notTyped(.nothingTyped(let reason)):
            await retry(delivery.id, reason: reason, agent: agent, live: live)
        case .notTyped(.partial(let reason)):
            await fail(delivery.id, reason: reason, agent: agent, live: live)
        case .notTyped(.complete):
            await fail(delivery.id, reason: "the text was written but not recorded as typed", agent: agent, live: live)
        }
        return true
    }

    /// The ready wait runs once per incarnation: after it (ready, or its bound spent) the
    /// next deliveries are typed without waiting again.
    private func typable(_ delivery: Delivery, live: LiveAgent) async -> TypableOutcome {
        let readyKnown = readyWaited[delivery.agent] == live.incarnation
        let outcome = await waitUntilTypable(delivery, live: live, skipReadyWait: readyKnown)
        if case .abandon = outcome {} else { readyWaited[delivery.agent] = live.incarnation }
        return outcome
    }

    func waitForThrottle(_ agent: String) async {
        let delay = throttles[agent, default: InjectionThrottle()].delay
        guard let last = lastInjection[agent] else { return }
        let wait = delay - (ContinuousClock.now - last)
        if wait > .zero { try? await Task.sleep(for: wait) }
    }

    func writeAll(_ bytes: ArraySlice<UInt8>, to terminal: AgentTerminal, typedBefore: Bool) async -> WriteOutcome {
        var offset = bytes.startIndex
        let deadline = ContinuousClock.now + .seconds(Self.writeCompletionSeconds)
        var pause: Duration = .milliseconds(2)
        while offset < bytes.endIndex {
            let typed = typedBefore || offset > bytes.startIndex
            switch terminal.writeNow(bytes[offset...]) {
            case .wrote(let count):
                offset += count
                pause = .milliseconds(2)
            case .wouldBlock:
                if !typed { return .nothingTyped("the agent's input buffer is full") }
                if ContinuousClock.now >= deadline {
                    return .partial("input buffer full after \(offset - bytes.startIndex) of \(bytes.count) bytes")
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(50))
            case .failed(let errno):
                let reason = "write to the terminal failed: \(errno)"
                return typed ? .partial(reason + " after \(offset - bytes.startIndex) of \(bytes.count) bytes") : .nothingTyped(reason)
            }
        }
        return .complete
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
