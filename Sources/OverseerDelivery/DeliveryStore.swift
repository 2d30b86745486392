import Foundation
import GRDB

/// The durable delivery store: one SQLite file (WAL, `synchronous=FULL`, mode 0600).
///
/// Every mutation is one transaction, committed (and synced) before the method returns, so a
/// caller that acknowledges after the call returns never acknowledges a lost delivery.
///
/// Thread safety: every access is serialized on one connection. The methods are synchronous:
/// call them from any thread, but not from an event loop (each mutation waits for an fsync).
/// Async code runs the same operations with `perform`, on GRDB's queue.
public final class DeliveryStore: Sendable {
    /// The database file.
    public let path: String
    /// Write errors tolerated per delivery: the write error that makes `attempts` reach this
    /// number fails the delivery instead of sending it back to `queued`.
    public let maximumAttempts: Int

    /// Pending deliveries allowed per agent unless the caller passes another cap.
    public static let defaultCap = 256
    /// Default for `maximumAttempts`.
    public static let defaultMaximumAttempts = 10

    let queue: DatabaseQueue

    /// Opens (creating and migrating as needed) the store at `path`. A file that is not an
    /// SQLite database, or is damaged, is reported as `corruptDatabase` and left untouched.
    public init(path: String, maximumAttempts: Int = DeliveryStore.defaultMaximumAttempts) throws(DeliveryError) {
        guard maximumAttempts >= 1 else {
            throw .invalidArgument(name: "maximumAttempts", reason: "must be at least 1, got \(maximumAttempts)")
        }
        self.path = path
        self.maximumAttempts = maximumAttempts
        self.queue = try DeliveryDatabase.open(path: path)
    }

    /// Closes the connection; any later call fails. Also happens when the store is released.
    public func close() throws(DeliveryError) {
        do {
            try queue.close()
        } catch {
            throw DeliveryDatabase.map(error, path: path, operation: "close")
        }
    }

    /// The current time in epoch seconds, the default `now` of every mutation.
    public static func currentTime() -> Double {
        Date().timeIntervalSince1970
    }

    // MARK: - Queries

    /// The delivery with this id, with its history; nil when there is none.
    public func delivery(id: String) throws(DeliveryError) -> Delivery? {
        try run(.delivery(id: id))
    }

    /// The agent's queued deliveries, oldest first (without history).
    public func pending(agent: String) throws(DeliveryError) -> [Delivery] {
        try run(.pending(agent: agent))
    }

    /// The agent's oldest queued delivery (without history), the next to inject.
    public func nextQueued(agent: String) throws(DeliveryError) -> Delivery? {
        try run(.nextQueued(agent: agent))
    }

    /// How many deliveries the agent has queued.
    public func pendingCount(agent: String) throws(DeliveryError) -> Int {
        try read("count pending") { db in try DeliveryRows.queuedCount(db, agent: agent) }
    }

    /// How many deliveries are queued across all agents.
    public func pendingCount() throws(DeliveryError) -> Int {
        try read("count pending") { db in
            try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(queued), 0) FROM agent_queue") ?? 0
        }
    }

    // MARK: - Access

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(DeliveryError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw DeliveryDatabase.map(error, path: path, operation: operation)
        }
    }

    /// Runs `body` in one write transaction, committed (and synced) before returning.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(DeliveryError) -> T {
        do {
            return try queue.write(body)
        } catch {
            throw DeliveryDatabase.map(error, path: path, operation: operation)
        }
    }
}
