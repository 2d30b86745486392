import OverseerDelivery

/// Persisting each injection step, then telling the event stream, the metrics and the throttle.
extension DeliveryEngine {
    /// How a typed delivery ended, and which check said so.
    struct Verdict {
        /// `verified` means submitted (or typed, for `submit: false`).
        var verified: Bool
        var verification: DeliveryVerification?
        var evidence: DeliveryEvidence?
        /// Why it is unverified.
        var reason: String?
        /// The `submitted` history line, when the screen showed the submission.
        var submittedNote: String?

        static func verified(_ verification: DeliveryVerification, evidence: DeliveryEvidence?, note: String?) -> Verdict {
            Verdict(verified: true, verification: verification, evidence: evidence, reason: nil, submittedNote: note)
        }

        static func unverified(_ reason: String, verification: DeliveryVerification?, evidence: DeliveryEvidence? = nil) -> Verdict {
            Verdict(verified: false, verification: verification, evidence: evidence, reason: reason, submittedNote: nil)
        }

        /// The metrics label: `screen`, `echo`, `timeout_fallback`, or `unverified_<check>`.
        var label: String {
            let check = verification?.rawValue ?? "none"
            return verified ? check : "unverified_\(check)"
        }
    }

    /// The text was typed (its bytes all written); Enter may follow.
    func recordInjected(_ id: String, live: LiveAgent) async {
        guard let stored = await persist(.markInjected(id: id)) else { return }
        publish(.deliveryInjected, stored, agent: live)
    }

    func record(_ agent: String, _ verdict: Verdict, live: LiveAgent, id: String) async {
        let stored: Delivery?
        metrics.deliveryVerdict(verdict.label)
        if verdict.verified, let verification = verdict.verification {
            if let note = verdict.submittedNote { await self.note(id, DeliveryHistoryEntry.submitted, note) }
            stored = await persist(.markVerified(id: id, verification: verification, evidence: verdict.evidence))
            throttle(agent) { $0.record(.verified) }
        } else {
            let reason = verdict.reason ?? "not verified"
            stored = await persist(.markUnverified(id: id, reason: reason, verification: verdict.verification, evidence: verdict.evidence))
            throttle(agent) { $0.record(.unverified) }
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

    /// Part of it was typed: never retried (that would type it twice). Also a queued one
    /// (`pending`) that may not be typed at all (`when: idle` never came).
    func fail(_ id: String, reason: String, agent: String, live: LiveAgent, pending: Bool = false) async {
        if !pending { throttle(agent) { $0.record(.failed) } }
        guard let stored = await persist(.markFailed(id: id, reason: reason)) else { return }
        if pending { pendingCount -= 1 }
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
