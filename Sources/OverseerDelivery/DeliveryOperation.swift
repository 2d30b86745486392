import GRDB

/// One operation on the delivery store, as a value: its name (for errors), whether it
/// writes, and its body, which runs inside one transaction. The store runs it on the
/// caller's thread (`run`) or on GRDB's own queue without blocking the caller (`perform`);
/// the store's methods are `run` of these operations.
public struct DeliveryOperation<Value: Sendable>: Sendable {
    /// What it is called in errors and logs.
    public let name: String
    let writes: Bool
    let body: @Sendable (Database, _ maximumAttempts: Int) throws -> Value
}

extension DeliveryStore {
    /// Runs `operation` on the calling thread (it waits for the commit's fsync).
    public func run<Value>(_ operation: DeliveryOperation<Value>) throws(DeliveryError) -> Value {
        let limit = maximumAttempts
        if operation.writes { return try write(operation.name) { db in try operation.body(db, limit) } }
        return try read(operation.name) { db in try operation.body(db, limit) }
    }

    /// Runs `operation` on GRDB's queue and returns once it committed, without holding the
    /// caller's thread meanwhile.
    public func perform<Value>(_ operation: DeliveryOperation<Value>) async throws(DeliveryError) -> Value {
        let limit = maximumAttempts
        do {
            if operation.writes { return try await queue.write { db in try operation.body(db, limit) } }
            return try await queue.read { db in try operation.body(db, limit) }
        } catch {
            throw DeliveryDatabase.map(error, path: path, operation: operation.name)
        }
    }
}

extension DeliveryOperation where Value == Delivery? {
    /// The delivery with this id, with its history; nil when there is none.
    public static func delivery(id: String) -> Self {
        DeliveryOperation(name: "read delivery", writes: false) { db, _ in
            guard var delivery = try DeliveryRows.find(db, id: id) else { return nil }
            delivery.history = try DeliveryRows.history(db, seq: delivery.sequence)
            return delivery
        }
    }

    /// The agent's oldest queued delivery (without history), the next to inject.
    public static func nextQueued(agent: String) -> Self {
        DeliveryOperation(name: "read next queued", writes: false) { db, _ in
            try DeliveryRows.fetch(db, where: "agent = ? AND state = 'queued' ORDER BY seq LIMIT 1", arguments: [agent]).first
        }
    }
}

extension DeliveryOperation where Value == [Delivery] {
    /// The agent's queued deliveries, oldest first (without history).
    public static func pending(agent: String) -> Self {
        DeliveryOperation(name: "list pending", writes: false) { db, _ in
            try DeliveryRows.fetch(db, where: "agent = ? AND state = 'queued' ORDER BY seq", arguments: [agent])
        }
    }
}
