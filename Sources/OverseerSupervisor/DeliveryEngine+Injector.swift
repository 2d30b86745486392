import Foundation
import OverseerDelivery
import OverseerPTY

/// One agent's injector: FIFO, one delivery at a time, paced by the agent's throttle.
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

    /// Injects and verifies the agent's next queued delivery. False when there is nothing to
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
        guard !stopping, await lookup(agent)?.incarnation == live.incarnation else { return false }

        let incarnation = live.incarnation
        do {
            _ = try await store.perform(.markInjecting(id: delivery.id, incarnation: incarnation))
            pendingCount -= 1
        } catch {
            // Dropped or failed meanwhile (queue overflow, recipient gone): take the next one.
            logger.info("delivery no longer injectable", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            return true
        }
        let cursor = live.ring.end // output produced from here on may verify it
        let outcome = await write(delivery, to: live.terminal)
        defer { lastInjection[agent] = .now }
        switch outcome {
        case .complete:
            await recordInjected(delivery.id, live: live)
            let echoed = await awaitEcho(of: delivery.text, in: live.ring, from: cursor)
            await record(agent, echoed, live: live, id: delivery.id)
        case .nothingTyped(let reason):
            await retry(delivery.id, reason: reason, agent: agent, live: live)
        case .partial(let reason):
            await fail(delivery.id, reason: reason, agent: agent, live: live)
        }
        return true
    }

    func waitForThrottle(_ agent: String) async {
        let delay = throttles[agent, default: InjectionThrottle()].delay
        guard let last = lastInjection[agent] else { return }
        let wait = delay - (ContinuousClock.now - last)
        if wait > .zero { try? await Task.sleep(for: wait) }
    }

    /// ESC (when asked), the text, then CR (when submitting), without ever blocking.
    func write(_ delivery: Delivery, to terminal: AgentTerminal) async -> WriteOutcome {
        var payload = Array(delivery.text.utf8)
        if delivery.submit { payload.append(UInt8(ascii: "\r")) }
        var typedAny = false
        if delivery.interrupt {
            switch await writeAll([0x1b], to: terminal, typedBefore: false) {
            case .complete: typedAny = true
            case let other: return other
            }
            try? await Task.sleep(for: Self.interruptPause)
        }
        return await writeAll(payload[...], to: terminal, typedBefore: typedAny)
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

    /// Watches output produced after the injection began for the text's echo.
    func awaitEcho(of text: String, in ring: OutputRing, from start: UInt64) async -> Verdict {
        let verifier = EchoVerifier(text: text)
        guard verifier.canVerify else { return .unverified("the text is blank: nothing to see echoed") }
        let window = settings.deliveryVerifySeconds
        let deadline = ContinuousClock.now + .milliseconds(Int(window * 1000))
        var cursor = start
        while true {
            let chunk = ring.read(from: cursor, limit: 1 << 16)
            if verifier.feed(chunk.bytes) { return .verified }
            cursor = chunk.next
            if chunk.closed && chunk.bytes.isEmpty { return .unverified("the terminal closed before the echo appeared") }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return .unverified("no echo within \(Self.seconds(window))") }
            if chunk.bytes.isEmpty { await ring.waitForData(after: cursor, timeout: remaining) }
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
