import GRDB

extension DeliveryStore {
    /// `queued → injecting`: injection into `incarnation` of the agent starts now.
    @discardableResult
    public func markInjecting(id: String, incarnation: String, now: Double = DeliveryStore.currentTime()) throws(DeliveryError) -> Delivery {
        try run(.markInjecting(id: id, incarnation: incarnation, now: now))
    }

    /// `injecting → injected`: every byte (text, and the carriage return if any) was written.
    @discardableResult
    public func markInjected(id: String, now: Double = DeliveryStore.currentTime()) throws(DeliveryError) -> Delivery {
        try run(.markInjected(id: id, now: now))
    }

    /// `injected → verified`: the check named by `verification` proved it, as `evidence` shows.
    @discardableResult
    public func markVerified(
        id: String, verification: DeliveryVerification, evidence: DeliveryEvidence? = nil, reason: String? = nil, now: Double = DeliveryStore.currentTime()
    ) throws(DeliveryError) -> Delivery {
        try run(.markVerified(id: id, verification: verification, evidence: evidence, reason: reason, now: now))
    }

    /// `injecting | injected → unverified`: possibly typed, never confirmed; never re-injected.
    /// `verification` says how the verdict was reached (`timeout_fallback` when the echo
    /// window ran out; nil when verification never got to run).
    @discardableResult
    public func markUnverified(
        id: String, reason: String, verification: DeliveryVerification? = nil, evidence: DeliveryEvidence? = nil, now: Double = DeliveryStore.currentTime()
    ) throws(DeliveryError) -> Delivery {
        try run(.markUnverified(id: id, reason: reason, verification: verification, evidence: evidence, now: now))
    }

    /// Appends a history event (`DeliveryHistoryEntry.typed`, ...) without changing the state.
    @discardableResult
    public func note(id: String, event: String, reason: String?, now: Double = DeliveryStore.currentTime()) throws(DeliveryError) -> Delivery {
        try run(.note(id: id, event: event, reason: reason, now: now))
    }

    /// A write error during injection: `injecting → queued` with `attempts + 1` and a
    /// `retried` history event, keeping its place at the head of the queue. When `attempts`
    /// reaches `maximumAttempts` it becomes `failed` instead. Returns the delivery as stored.
    @discardableResult
    public func markRetry(id: String, reason: String, now: Double = DeliveryStore.currentTime()) throws(DeliveryError) -> Delivery {
        try run(.markRetry(id: id, reason: reason, now: now))
    }

    /// `queued | injecting → failed`.
    @discardableResult
    public func markFailed(id: String, reason: String, now: Double = DeliveryStore.currentTime()) throws(DeliveryError) -> Delivery {
        try run(.markFailed(id: id, reason: reason, now: now))
    }

    /// The agent exited: each of its queued deliveries becomes `failed` with `reason`, except
    /// those that asked to wait for the next incarnation, which stay queued. One transaction;
    /// returns the failed ones, oldest first.
    public func failPending(
        agent: String, reason: String = "recipient gone", now: Double = DeliveryStore.currentTime()
    ) throws(DeliveryError) -> [Delivery] {
        try run(.failPending(agent: agent, reason: reason, now: now))
    }

    /// At startup, before any injection: every delivery left `injecting` (the supervisor died
    /// mid-injection) becomes `unverified` with reason `interrupted`; it may or may not have
    /// been typed, so it is never injected again. Every delivery left `injected` becomes
    /// `unverified` with reason `interrupted before verification`: the output that would have
    /// verified it was watched by the process that died. Returns them, oldest first, so the
    /// caller can emit events.
    public func recoverInterrupted(now: Double = DeliveryStore.currentTime()) throws(DeliveryError) -> [Delivery] {
        try write("recover interrupted") { db in
            // Sorted here: the (state, updated_at) index does not give sequence order.
            let interrupted = try DeliveryRows.fetch(db, where: "state IN ('injecting', 'injected')", arguments: [])
                .sorted { $0.sequence < $1.sequence }
            return try interrupted.map { delivery in
                let reason = delivery.state == .injecting ? Self.interruptedReason : Self.interruptedBeforeVerificationReason
                return try Self.apply(db, delivery, to: .unverified, reason: reason, now: now) { _ in }
            }
        }
    }

    /// Deletes terminal deliveries (and their history) last updated before `cutoff` (epoch
    /// seconds). Returns how many deliveries were deleted.
    @discardableResult
    public func pruneFinished(olderThan cutoff: Double) throws(DeliveryError) -> Int {
        try write("prune finished") { db in
            let terminal = DeliveryState.terminalRawValues.map { "'\($0)'" }.joined(separator: ", ")
            let selection = "state IN (\(terminal)) AND updated_at < ?"
            try db.execute(
                sql: "DELETE FROM delivery_history WHERE delivery_seq IN (SELECT seq FROM delivery WHERE \(selection))",
                arguments: [cutoff])
            try db.execute(sql: "DELETE FROM delivery WHERE \(selection)", arguments: [cutoff])
            return db.changesCount
        }
    }

    /// The reason given to deliveries found `injecting` at startup.
    public static let interruptedReason = "interrupted"
    /// The reason given to deliveries found `injected` (written, not yet verified) at startup.
    public static let interruptedBeforeVerificationReason = "interrupted before verification"

    // MARK: - Transition core

    /// Validates `delivery.state → next`, writes the row, and appends the history entry.
    static func apply(
        _ db: Database, _ delivery: Delivery, to next: DeliveryState, reason: String?, now: Double,
        change: (inout Delivery) -> Void
    ) throws -> Delivery {
        guard delivery.state.canMove(to: next) else {
            throw DeliveryError.illegalTransition(id: delivery.id, from: delivery.state, to: next)
        }
        var updated = delivery
        updated.state = next
        updated.reason = reason
        updated.updatedAt = now
        change(&updated)
        try DeliveryRows.update(db, updated)
        try DeliveryRows.appendHistory(db, seq: updated.sequence, event: next.rawValue, at: now, reason: reason)
        return updated
    }
}

extension DeliveryOperation where Value == Delivery {
    /// `queued → injecting`: injection into `incarnation` of the agent starts now.
    public static func markInjecting(id: String, incarnation: String, now: Double = DeliveryStore.currentTime()) -> Self {
        transition(id: id, to: .injecting, reason: nil, now: now) { $0.incarnation = incarnation }
    }

    /// `injecting → injected`: every byte was written.
    public static func markInjected(id: String, now: Double = DeliveryStore.currentTime()) -> Self {
        transition(id: id, to: .injected, reason: nil, now: now) { $0.injectedAt = now }
    }

    /// `injected → verified`, with what the check saw.
    public static func markVerified(id: String, verification: DeliveryVerification, evidence: DeliveryEvidence? = nil, reason: String? = nil, now: Double = DeliveryStore.currentTime()) -> Self {
        transition(id: id, to: .verified, reason: reason, now: now) {
            $0.verification = verification
            $0.evidence = evidence
        }
    }

    /// `injecting | injected → unverified`, with what the check saw, if anything.
    public static func markUnverified(id: String, reason: String, verification: DeliveryVerification? = nil, evidence: DeliveryEvidence? = nil, now: Double = DeliveryStore.currentTime()) -> Self {
        transition(id: id, to: .unverified, reason: reason, now: now) {
            $0.verification = verification
            $0.evidence = evidence
        }
    }

    /// A history event of a delivery not yet finished (its state stays); a finished one is refused.
    public static func note(id: String, event: String, reason: String?, now: Double = DeliveryStore.currentTime()) -> Self {
        DeliveryOperation(name: "note \(event) on \(id)", writes: true) { db, _ in
            let delivery = try DeliveryRows.require(db, id: id)
            guard !delivery.state.isTerminal else {
                throw DeliveryError.illegalTransition(id: id, from: delivery.state, to: delivery.state)
            }
            try DeliveryRows.appendHistory(db, seq: delivery.sequence, event: event, at: now, reason: reason)
            return delivery
        }
    }

    /// `queued | injecting → failed`.
    public static func markFailed(id: String, reason: String, now: Double = DeliveryStore.currentTime()) -> Self {
        transition(id: id, to: .failed, reason: reason, now: now) { _ in }
    }

    /// A write error: back to `queued` with `attempts + 1`, or `failed` at the store's limit
    /// (see `DeliveryStore.markRetry`).
    public static func markRetry(id: String, reason: String, now: Double = DeliveryStore.currentTime()) -> Self {
        DeliveryOperation(name: "retry \(id)", writes: true) { db, limit in
            var delivery = try DeliveryRows.require(db, id: id)
            guard delivery.state == .injecting else {
                throw DeliveryError.illegalTransition(id: id, from: delivery.state, to: .queued)
            }
            delivery.attempts += 1
            delivery.updatedAt = now
            if delivery.attempts >= limit {
                delivery.state = .failed
                delivery.reason = "gave up after \(delivery.attempts) failed write attempts; last: \(reason)"
                try DeliveryRows.update(db, delivery)
                try DeliveryRows.appendHistory(db, seq: delivery.sequence, event: DeliveryState.failed.rawValue, at: now, reason: delivery.reason)
            } else {
                delivery.state = .queued
                delivery.reason = reason
                try DeliveryRows.update(db, delivery)
                try DeliveryRows.appendHistory(db, seq: delivery.sequence, event: DeliveryHistoryEntry.retried, at: now, reason: reason)
            }
            return delivery
        }
    }

    private static func transition(id: String, to next: DeliveryState, reason: String?, now: Double, change: @escaping @Sendable (inout Delivery) -> Void) -> Self {
        DeliveryOperation(name: "mark \(id) \(next.rawValue)", writes: true) { db, _ in
            let delivery = try DeliveryRows.require(db, id: id)
            return try DeliveryStore.apply(db, delivery, to: next, reason: reason, now: now, change: change)
        }
    }
}

extension DeliveryOperation where Value == [Delivery] {
    /// `DeliveryStore.failPending` as an operation.
    public static func failPending(agent: String, reason: String = "recipient gone", now: Double = DeliveryStore.currentTime()) -> Self {
        DeliveryOperation(name: "fail pending of \(agent)", writes: true) { db, _ in
            let doomed = try DeliveryRows.fetch(
                db, where: "agent = ? AND state = 'queued' AND await_next_incarnation = 0 ORDER BY seq",
                arguments: [agent])
            return try doomed.map { delivery in
                try DeliveryStore.apply(db, delivery, to: .failed, reason: reason, now: now) { _ in }
            }
        }
    }
}
