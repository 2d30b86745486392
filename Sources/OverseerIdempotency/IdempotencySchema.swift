import GRDB

/// The module's tables, indexes and triggers, as versioned GRDB migrations. Both stores run
/// the same migrations, so they can share one file or each have their own.
///
/// - `idempotency_response`: one completed response per key. `completed_at` is indexed, so
///   expiry and the oldest-first bound reach exactly the rows they delete.
/// - `idempotency_stats`: one row holding the number of responses, kept exact by triggers in
///   the same transaction as the change, so `count()` and the bound never count rows.
/// - `command_checkpoint`: the last accepted index of each agent generation's command stream;
///   released rows are indexed by release time for pruning.
enum IdempotencySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-idempotency", migrate: createV1)
        migrator.registerMigration("v2-started", migrate: createV2)
        return migrator
    }

    /// `idempotency_started`: requests that began running and have not answered yet, with the
    /// process instance that runs them. A row left by a dead instance marks an interrupted
    /// request, whose effect is unknown.
    private static func createV2(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE idempotency_started (
                key TEXT PRIMARY KEY NOT NULL,
                fingerprint TEXT NOT NULL,
                instance TEXT NOT NULL,
                started_at REAL NOT NULL
            );
            CREATE INDEX idempotency_started_at ON idempotency_started(started_at);
            """)
    }

    private static func createV1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE idempotency_response (
                key TEXT PRIMARY KEY NOT NULL,
                fingerprint TEXT NOT NULL,
                status INTEGER NOT NULL,
                content_type TEXT,
                body BLOB NOT NULL,
                created_at REAL NOT NULL,
                completed_at REAL NOT NULL
            );
            CREATE INDEX idempotency_response_completed ON idempotency_response(completed_at);

            CREATE TABLE idempotency_stats (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                entries INTEGER NOT NULL CHECK (entries >= 0)
            );
            INSERT INTO idempotency_stats(id, entries) VALUES (1, 0);

            CREATE TRIGGER idempotency_response_counted_on_insert AFTER INSERT ON idempotency_response
            BEGIN
                UPDATE idempotency_stats SET entries = entries + 1 WHERE id = 1;
            END;

            CREATE TRIGGER idempotency_response_counted_on_delete AFTER DELETE ON idempotency_response
            BEGIN
                UPDATE idempotency_stats SET entries = entries - 1 WHERE id = 1;
            END;

            CREATE TABLE command_checkpoint (
                agent TEXT NOT NULL,
                generation INTEGER NOT NULL,
                last_index INTEGER NOT NULL,
                released_at REAL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (agent, generation)
            ) WITHOUT ROWID;
            CREATE INDEX command_checkpoint_released ON command_checkpoint(released_at)
                WHERE released_at IS NOT NULL;
            """)
    }
}
