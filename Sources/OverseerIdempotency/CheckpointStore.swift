import GRDB

/// Durable checkpoints of ordered command streams: for each (agent, generation), the highest
/// command index applied. A stream replayed after a reconnect is filtered through `advance`,
/// which accepts each index once and rejects replays.
///
/// One SQLite file (WAL, `synchronous=FULL`, mode 0600); it may be the same file as an
/// `IdempotencyStore`'s (each store opens its own connection) or a file of its own. Every
/// mutation is one transaction, synced before the method returns, so checkpoints survive
/// restarts and crashes. A released generation's checkpoint stays until `acknowledge` or
/// `pruneReleased` removes it.
///
/// Thread safety: every access is serialized on one connection. The methods are synchronous:
/// call them from any thread, but not from an event loop (each mutation waits for an fsync).
/// Async code runs the same operations with `perform`, on GRDB's queue.
public final class CheckpointStore: Sendable {
    /// The database file.
    public var path: String { connection.path }

    let connection: StoreConnection

    /// Opens (creating and migrating as needed) the store at `path`. A file that is not an
    /// SQLite database, or is damaged, is reported as `corruptDatabase` and left untouched.
    public init(path: String) throws(IdempotencyError) {
        self.connection = try StoreConnection(path: path, label: "OverseerCheckpoints")
    }

    /// Closes the connection; any later call fails. Also happens when the store is released.
    public func close() throws(IdempotencyError) {
        try connection.close()
    }

    /// Runs `operation` on GRDB's queue without holding the caller's thread.
    public func perform<Value>(_ operation: StoreOperation<CheckpointStore, Value>) async throws(IdempotencyError) -> Value {
        try await connection.perform(operation)
    }

    /// The highest index accepted for the agent generation, or nil when none was.
    public func lastIndex(agent: String, generation: Int64) throws(IdempotencyError) -> Int64? {
        try connection.run(.lastIndex(agent: agent, generation: generation))
    }

    /// Accepts command `index` of the stream when it is above the last accepted one (or the
    /// first): stores it and returns true, durably, in one statement. Returns false, changing
    /// nothing, for an index at or below the checkpoint: a replay. A released generation's
    /// checkpoint still advances; refusing commands to a released agent is the caller's call.
    public func advance(
        agent: String, generation: Int64, index: Int64, now: Double = IdempotencyStore.currentTime()
    ) throws(IdempotencyError) -> Bool {
        try Self.validate(agent: agent, generation: generation, index: index)
        return try connection.run(.advance(agent: agent, generation: generation, index: index, now: now))
    }

    /// Marks the agent generation released (its agent stopped for good), keeping the first
    /// release time if it already was. False when it has no checkpoint.
    @discardableResult
    public func markReleased(
        agent: String, generation: Int64, now: Double = IdempotencyStore.currentTime()
    ) throws(IdempotencyError) -> Bool {
        try connection.run(.markReleased(agent: agent, generation: generation, now: now))
    }

    /// Every checkpoint, ordered by agent and generation.
    public func all() throws(IdempotencyError) -> [Checkpoint] {
        try connection.run(.all())
    }

    /// Deletes the agent generation's checkpoint (its stream is finished with). False when it
    /// had none.
    @discardableResult
    public func acknowledge(agent: String, generation: Int64) throws(IdempotencyError) -> Bool {
        try connection.run(.acknowledge(agent: agent, generation: generation))
    }

    /// Deletes the checkpoints released before `cutoff` (epoch seconds) and returns them, as
    /// they were, so the caller can warn about streams nobody acknowledged. Live checkpoints
    /// are never pruned.
    @discardableResult
    public func pruneReleased(olderThan cutoff: Double) throws(IdempotencyError) -> [Checkpoint] {
        try connection.run(.pruneReleased(olderThan: cutoff))
    }

    /// Refuses an empty agent, a negative generation or a negative index.
    public static func validate(agent: String, generation: Int64, index: Int64 = 0) throws(IdempotencyError) {
        guard !agent.isEmpty else {
            throw .invalidArgument(name: "agent", reason: "must not be empty")
        }
        guard generation >= 0 else {
            throw .invalidArgument(name: "generation", reason: "must not be negative, got \(generation)")
        }
        guard index >= 0 else {
            throw .invalidArgument(name: "index", reason: "must not be negative, got \(index)")
        }
    }
}

extension StoreOperation where Store == CheckpointStore, Value == Int64? {
    /// `CheckpointStore.lastIndex` as an operation.
    public static func lastIndex(agent: String, generation: Int64) -> Self {
        StoreOperation("read checkpoint", writes: false) { db in
            try Int64.fetchOne(
                db, sql: "SELECT last_index FROM command_checkpoint WHERE agent = ? AND generation = ?",
                arguments: [agent, generation])
        }
    }
}

extension StoreOperation where Store == CheckpointStore, Value == Bool {
    /// `CheckpointStore.advance` as an operation (check the arguments with `validate` first).
    public static func advance(agent: String, generation: Int64, index: Int64, now: Double = IdempotencyStore.currentTime()) -> Self {
        StoreOperation("advance checkpoint", writes: true) { db in
            try db.execute(
                sql: """
                    INSERT INTO command_checkpoint(agent, generation, last_index, released_at, updated_at)
                    VALUES (?, ?, ?, NULL, ?)
                    ON CONFLICT(agent, generation) DO UPDATE SET
                        last_index = excluded.last_index, updated_at = excluded.updated_at
                    WHERE excluded.last_index > command_checkpoint.last_index
                    """,
                arguments: [agent, generation, index, now])
            return db.changesCount > 0
        }
    }

    /// `CheckpointStore.markReleased` as an operation.
    public static func markReleased(agent: String, generation: Int64, now: Double = IdempotencyStore.currentTime()) -> Self {
        StoreOperation("release checkpoint", writes: true) { db in
            try db.execute(
                sql: """
                    UPDATE command_checkpoint SET released_at = COALESCE(released_at, ?), updated_at = ?
                    WHERE agent = ? AND generation = ?
                    """,
                arguments: [now, now, agent, generation])
            return db.changesCount > 0
        }
    }

    /// `CheckpointStore.acknowledge` as an operation.
    public static func acknowledge(agent: String, generation: Int64) -> Self {
        StoreOperation("acknowledge checkpoint", writes: true) { db in
            try db.execute(sql: "DELETE FROM command_checkpoint WHERE agent = ? AND generation = ?", arguments: [agent, generation])
            return db.changesCount > 0
        }
    }
}

extension StoreOperation where Store == CheckpointStore, Value == [Checkpoint] {
    /// `CheckpointStore.all` as an operation.
    public static func all() -> Self {
        StoreOperation("list checkpoints", writes: false) { db in
            try Row.fetchAll(db, sql: "SELECT \(Checkpoint.columns) FROM command_checkpoint ORDER BY agent, generation").map(Checkpoint.init(row:))
        }
    }

    /// `CheckpointStore.pruneReleased` as an operation.
    public static func pruneReleased(olderThan cutoff: Double) -> Self {
        StoreOperation("prune checkpoints", writes: true) { db in
            let pruned = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Checkpoint.columns) FROM command_checkpoint
                    WHERE released_at IS NOT NULL AND released_at < ? ORDER BY released_at
                    """,
                arguments: [cutoff]
            ).map(Checkpoint.init(row:))
            try db.execute(sql: "DELETE FROM command_checkpoint WHERE released_at IS NOT NULL AND released_at < ?", arguments: [cutoff])
            return pruned
        }
    }
}
