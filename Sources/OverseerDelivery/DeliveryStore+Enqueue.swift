import GRDB

extension DeliveryStore {
    /// Persists a new delivery (one transaction, synced before returning).
    ///
    /// - Re-posting an existing id with the same agent, text, submit, interrupt and
    ///   await flag returns the existing delivery with `duplicate: true` and queues nothing;
    ///   with any of them different it throws `conflict` naming the id and the fields.
    /// - When the agent would have more than `cap` queued deliveries, its oldest queued ones
    ///   are `dropped` (reason names the cap) and returned in `evicted`, oldest first.
    ///
    /// The cost does not depend on how many deliveries are pending: the id lookup is a unique
    /// index probe, the agent's queued count is one trigger-maintained row, and eviction reads
    /// only the rows it drops through the `(agent, state, seq)` index.
    public func enqueue(
        _ request: NewDelivery, cap: Int = DeliveryStore.defaultCap, now: Double = DeliveryStore.currentTime()
    ) throws(DeliveryError) -> EnqueueResult {
        try run(.enqueue(request, cap: cap, now: now))
    }

    /// The body of `enqueue`, inside the caller's transaction (the request already checked).
    static func enqueue(_ db: Database, _ request: NewDelivery, cap: Int, now: Double) throws -> EnqueueResult {
        if var existing = try DeliveryRows.find(db, id: request.id) {
            let differences = request.differences(from: existing)
            guard differences.isEmpty else {
                throw DeliveryError.conflict(id: request.id, fields: differences)
            }
            existing.history = try DeliveryRows.history(db, seq: existing.sequence)
            let position = existing.state == .queued ? try DeliveryRows.position(db, of: existing) : nil
            return EnqueueResult(delivery: existing, position: position, duplicate: true, evicted: [])
        }
        var delivery = try DeliveryRows.insert(db, request, now: now)
        delivery.history = [DeliveryHistoryEntry(event: DeliveryState.queued.rawValue, at: now)]
        var queued = try DeliveryRows.queuedCount(db, agent: request.agent)
        var evicted: [Delivery] = []
        if queued > cap {
            evicted = try evictOldest(db, agent: request.agent, count: queued - cap, cap: cap, sparing: delivery.sequence, now: now)
            queued -= evicted.count
        }
        return EnqueueResult(delivery: delivery, position: queued, duplicate: false, evicted: evicted)
    }

    /// Drops the agent's `count` oldest queued deliveries other than `sparing`.
    private static func evictOldest(
        _ db: Database, agent: String, count: Int, cap: Int, sparing seq: Int64, now: Double
    ) throws -> [Delivery] {
        let victims = try DeliveryRows.fetch(
            db, where: "agent = ? AND state = 'queued' AND seq <> ? ORDER BY seq LIMIT ?",
            arguments: [agent, seq, count])
        let reason = "evicted: agent \(agent) reached its cap of \(cap) pending deliveries; the oldest queued delivery is dropped"
        return try victims.map { victim in
            var dropped = victim
            dropped.state = .dropped
            dropped.reason = reason
            dropped.updatedAt = now
            try DeliveryRows.update(db, dropped)
            try DeliveryRows.appendHistory(db, seq: dropped.sequence, event: DeliveryState.dropped.rawValue, at: now, reason: reason)
            return dropped
        }
    }
}

extension DeliveryOperation where Value == EnqueueResult {
    /// `DeliveryStore.enqueue` as an operation. The request and cap are checked before any
    /// row is touched.
    public static func enqueue(_ request: NewDelivery, cap: Int = DeliveryStore.defaultCap, now: Double = DeliveryStore.currentTime()) -> Self {
        DeliveryOperation(name: "enqueue \(request.id)", writes: true) { db, _ in
            try request.validate()
            guard cap >= 1 else {
                throw DeliveryError.invalidArgument(name: "cap", reason: "must be at least 1, got \(cap)")
            }
            return try DeliveryStore.enqueue(db, request, cap: cap, now: now)
        }
    }
}
