import Foundation
import GRDB

/// The durable store of completed responses, keyed by idempotency key: one SQLite file (WAL,
/// `synchronous=FULL`, mode 0600).
///
/// Only completed responses are stored. Every mutation is one transaction, committed (and
/// synced) before the method returns, so a response that `save` returned for survives a crash
/// or power loss. A request that was still running when the process died left nothing here:
/// its retry runs it again.
///
/// An entry expires `ttl` seconds after it completed: `lookup` ignores it from then on and
/// `prune` deletes it. Every operation reaches its rows through the primary key or the
/// `completed_at` index, and the number of entries is kept in a counter row, so no operation
/// costs more with 10,000 entries than with 10 (beyond the B-tree's logarithm).
///
/// Thread safety: every access is serialized on one connection. The methods are synchronous:
/// call them from any thread, but not from an event loop (each mutation waits for an fsync).
/// Async code runs the same operations with `perform`, on GRDB's queue.
public final class IdempotencyStore: Sendable {
    /// How long a completed response is replayed, by default: five minutes.
    public static let defaultTTL: Double = 300

    /// The database file.
    public var path: String { connection.path }
    /// Seconds after completion during which `lookup` returns an entry.
    public let ttl: Double

    let connection: StoreConnection

    /// Opens (creating and migrating as needed) the store at `path`. A file that is not an
    /// SQLite database, or is damaged, is reported as `corruptDatabase` and left untouched.
    public init(path: String, ttl: Double = IdempotencyStore.defaultTTL) throws(IdempotencyError) {
        try Self.validate(ttl: ttl)
        self.ttl = ttl
        self.connection = try StoreConnection(path: path, label: "OverseerIdempotency")
    }

    /// Closes the connection; any later call fails. Also happens when the store is released.
    public func close() throws(IdempotencyError) {
        try connection.close()
    }

    /// The current time in epoch seconds, the default `now` of every operation.
    public static func currentTime() -> Double {
        StoreConnection.currentTime()
    }

    /// The unexpired entry stored under `key`, or nil (none, or it completed more than `ttl`
    /// seconds before `now`).
    public func lookup(key: String, now: Double = IdempotencyStore.currentTime()) throws(IdempotencyError) -> Entry? {
        try connection.run(lookupOperation(key: key, now: now))
    }

    func lookupOperation(key: String, now: Double) -> StoreOperation<IdempotencyStore, Entry?> {
        let ttl = ttl
        return StoreOperation("lookup", writes: false) { db in
            let statement = try db.cachedStatement(
                sql: "SELECT \(Entry.columns) FROM idempotency_response WHERE key = ? AND completed_at >= ?")
            return try Row.fetchOne(statement, arguments: [key, now - ttl]).map(Entry.init(row:))
        }
    }

    /// Stores `response` under `key`, replacing any entry the key had, and returns once it is
    /// on disk. `createdAt` is when the request started (default `now`); `now` is its
    /// completion time. 5xx responses are stored like any other: not caching them is the
    /// coordinator's policy.
    ///
    /// With `maxEntries`, the same transaction then prunes as `prune(now:ttl:maxEntries:)`
    /// does with this store's TTL, so the bound holds after every save at no extra fsync.
    /// Returns the number of entries pruned.
    @discardableResult
    public func save(
        key: String, fingerprint: String, response: StoredResponse, createdAt: Double? = nil,
        now: Double = IdempotencyStore.currentTime(), pruningTo maxEntries: Int? = nil
    ) throws(IdempotencyError) -> Int {
        try IdempotencyKey.validate(key)
        if let maxEntries {
            try Self.validate(maxEntries: maxEntries)
        }
        return try connection.run(saveOperation(key: key, fingerprint: fingerprint, response: response, createdAt: createdAt, now: now, pruningTo: maxEntries))
    }

    /// `save` as an operation (the key and bound already checked).
    func saveOperation(key: String, fingerprint: String, response: StoredResponse, createdAt: Double?, now: Double, pruningTo maxEntries: Int?) -> StoreOperation<IdempotencyStore, Int> {
        let ttl = ttl
        return StoreOperation("save", writes: true) { db in
            try Self.insert(db, key: key, fingerprint: fingerprint, response: response, createdAt: createdAt ?? now, completedAt: now)
            try db.cachedStatement(sql: "DELETE FROM idempotency_started WHERE key = ?").execute(arguments: [key])
            guard let maxEntries else { return 0 }
            return try Self.prune(db, now: now, ttl: ttl, maxEntries: maxEntries)
        }
    }

    /// Deletes the entry stored under `key` (and any started marker), expired or not. False
    /// when there was neither.
    @discardableResult
    public func delete(key: String) throws(IdempotencyError) -> Bool {
        try connection.write("delete") { db in try Self.delete(db, key: key) }
    }

    static func delete(_ db: Database, key: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM idempotency_response WHERE key = ?", arguments: [key])
        var deleted = db.changesCount
        try db.execute(sql: "DELETE FROM idempotency_started WHERE key = ?", arguments: [key])
        deleted += db.changesCount
        return deleted > 0
    }

    /// A request that began running: (fingerprint, instance, started at).
    public struct Started: Sendable, Equatable {
        public var fingerprint: String
        public var instance: String
        public var startedAt: Double
    }

    /// Records durably that the request with `key` starts running in `instance`.
    public func markStarted(key: String, fingerprint: String, instance: String, now: Double = IdempotencyStore.currentTime()) throws(IdempotencyError) {
        try connection.write("mark started") { db in try Self.markStarted(db, key: key, fingerprint: fingerprint, instance: instance, now: now) }
    }

    static func markStarted(_ db: Database, key: String, fingerprint: String, instance: String, now: Double) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO idempotency_started(key, fingerprint, instance, started_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [key, fingerprint, instance, now])
    }

    /// Removes the started marker of `key` (the request answered without a stored response).
    public func clearStarted(key: String) throws(IdempotencyError) {
        try connection.run(clearStartedOperation(key: key))
    }

    func clearStartedOperation(key: String) -> StoreOperation<IdempotencyStore, Void> {
        StoreOperation("clear started", writes: true) { db in
            try db.cachedStatement(sql: "DELETE FROM idempotency_started WHERE key = ?").execute(arguments: [key])
        }
    }

    /// The started marker of `key`, if one is left (younger than the TTL).
    public func started(key: String, now: Double = IdempotencyStore.currentTime()) throws(IdempotencyError) -> Started? {
        let ttl = ttl
        return try connection.read("started") { db in try Self.started(db, key: key, now: now, ttl: ttl) }
    }

    static func started(_ db: Database, key: String, now: Double, ttl: Double) throws -> Started? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT fingerprint, instance, started_at FROM idempotency_started WHERE key = ? AND started_at >= ?"),
                         arguments: [key, now - ttl])
            .map { Started(fingerprint: $0["fingerprint"], instance: $0["instance"], startedAt: $0["started_at"]) }
    }

    /// Deletes the entries that completed more than `ttl` seconds before `now`, then, while
    /// more than `maxEntries` remain, the oldest (by completion time). Returns how many it
    /// deleted. Costs one index seek plus the rows deleted.
    @discardableResult
    public func prune(now: Double = IdempotencyStore.currentTime(), ttl: Double, maxEntries: Int) throws(IdempotencyError) -> Int {
        try Self.validate(ttl: ttl)
        try Self.validate(maxEntries: maxEntries)
        return try connection.run(pruneOperation(now: now, ttl: ttl, maxEntries: maxEntries))
    }

    func pruneOperation(now: Double, ttl: Double, maxEntries: Int) -> StoreOperation<IdempotencyStore, Int> {
        StoreOperation("prune", writes: true) { db in try Self.prune(db, now: now, ttl: ttl, maxEntries: maxEntries) }
    }

    /// How many entries are stored, expired ones included until pruned. Reads one counter row.
    public func count() throws(IdempotencyError) -> Int {
        try connection.read("count") { db in try Self.count(db) }
    }

    /// Runs `operation` on GRDB's queue without holding the caller's thread.
    func perform<Value>(_ operation: StoreOperation<IdempotencyStore, Value>) async throws(IdempotencyError) -> Value {
        try await connection.perform(operation)
    }

    // MARK: - Statements

    static func insert(
        _ db: Database, key: String, fingerprint: String, response: StoredResponse, createdAt: Double, completedAt: Double
    ) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO idempotency_response(\(Entry.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET
                fingerprint = excluded.fingerprint, status = excluded.status,
                content_type = excluded.content_type, body = excluded.body,
                created_at = excluded.created_at, completed_at = excluded.completed_at
            """)
        try statement.execute(
            arguments: [key, fingerprint, response.status, response.contentType, Data(response.body), createdAt, completedAt])
    }

    static func prune(_ db: Database, now: Double, ttl: Double, maxEntries: Int) throws -> Int {
        try db.cachedStatement(sql: "DELETE FROM idempotency_started WHERE started_at < ?").execute(arguments: [now - ttl])
        try db.cachedStatement(sql: "DELETE FROM idempotency_response WHERE completed_at < ?").execute(arguments: [now - ttl])
        var deleted = db.changesCount
        let excess = try count(db) - maxEntries
        if excess > 0 {
            try db.execute(
                sql: """
                    DELETE FROM idempotency_response WHERE rowid IN (
                        SELECT rowid FROM idempotency_response ORDER BY completed_at, rowid LIMIT ?)
                    """,
                arguments: [excess])
            deleted += db.changesCount
        }
        return deleted
    }

    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT entries FROM idempotency_stats WHERE id = 1")) ?? 0
    }

    static func validate(ttl: Double) throws(IdempotencyError) {
        guard ttl.isFinite, ttl > 0 else {
            throw .invalidArgument(name: "ttl", reason: "must be a positive number of seconds, got \(ttl)")
        }
    }

    static func validate(maxEntries: Int) throws(IdempotencyError) {
        guard maxEntries >= 1 else {
            throw .invalidArgument(name: "maxEntries", reason: "must be at least 1, got \(maxEntries)")
        }
    }
}
