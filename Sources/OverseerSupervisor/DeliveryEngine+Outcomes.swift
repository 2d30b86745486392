import OverseerDelivery

/// Persisting each injection step, then telling the event stream, the metrics and the throttle.
extension DeliveryEngine {
    /// Whether the echo showed up in time.
    enum Verdict {
        case verified
        case unverified(String)
    }

    /// Every byte was typed.
    func recordInjected(_ id: String, live: LiveAgent) async {
        guard let stored = await persist(.markInjected(id: id)) else { return }
        publish(.deliveryInjected, stored, agent: live)
    }

    func record(_ agent: String, _ verdict: Verdict, live: LiveAgent, id: String) async {
        let stored: Delivery?
        switch verdict {
        case .verified:
            stored = await persist(.markVerified(id: id, verification: .echo))
            throttle(agent) { $0.record(.verified) }
            metrics.deliveryVerdict("echo")
        case .unverified(let reason):
            stored = await persist(.markUnverified(id: id, reason: reason, verification: .timeoutFallback))
            throttle(agent) { $0.record(.unverified) }
            metrics.deliveryVerdict("timeout_fallback")
            logger.warning("delivery unverified", metadata: ["delivery": "\(id)", "agent": "\(agent)", "reason": "\(reason)"])
        }
        if let stored { publish(.deliveryVerified, stored, agent: live) }
        if let current = await lookup(agent), current.incarnation != live.incarnation {
            // The verdict belongs to the incarnation it was typed into, never to its successor.
            metrics.staleNotice("delivery")
        }
    }

    /// Nothing was typed: back to the head of the queue (or `failed` after the last attempt).
    func retry(_ id: String, reason: String, agent: String, live: LiveAgent) async {
        throttle(agent) { $0.record(.failed) }
        guard let stored = await persist(.markRetry(id: id, reason: reason)) else { return }
        if stored.state == .queued { pendingCount += 1 }
        if stored.state == .failed {
            logger.error("delivery failed", metadata: ["delivery": "\(id)", "agent": "\(agent)", "reason": "\(stored.reason ?? reason)"])
            publish(.deliveryFailed, stored, agent: live)
        } else {
            logger.notice("delivery will be retried", metadata: ["delivery": "\(id)", "agent": "\(agent)", "attempt": "\(stored.attempts)", "reason": "\(reason)"])
        }
    }

    /// Part of it was typed: never retried (that would type it twice).
    func fail(_ id: String, reason: String, agent: String, live: LiveAgent) async {
        throttle(agent) { $0.record(.failed) }
        guard let stored = await persist(.markFailed(id: id, reason: reason)) else { return }
        logger.error("delivery failed", metadata: ["delivery": "\(id)", "agent": "\(agent)", "reason": "\(reason)"])
        publish(.deliveryFailed, stored, agent: live)
    }

    /// Stores one step; a failure is logged (the delivery stays as the store has it).
    func persist(_ operation: DeliveryOperation<Delivery>) async -> Delivery? {
        do {
            return try await store.perform(operation)
        } catch {
            logger.error("delivery store write failed", metadata: ["operation": "\(operation.name)", "error": "\(error)"])
            return nil
        }
    }

    func throttle(_ agent: String, _ change: (inout InjectionThrottle) -> Void) {
        change(&throttles[agent, default: InjectionThrottle()])
    }
}
