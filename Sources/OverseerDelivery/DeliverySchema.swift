import GRDB

/// The store's tables, indexes and triggers, as versioned GRDB migrations.
///
/// - `delivery`: one row per delivery; `seq` is the global FIFO sequence (AUTOINCREMENT, so a
///   pruned sequence number is never handed out again).
/// - `delivery_history`: one row per state entered or event, in insertion order.
/// - `agent_queue`: how many `queued` deliveries each agent has, kept exact by triggers inside
///   the same transaction as the change. The cap check and a new delivery's position read one
///   row instead of counting, so an enqueue costs the same with 10 or 10,000 pending.
enum DeliverySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-deliveries", migrate: createV1)
        migrator.registerMigration("v2-screen-verdicts", migrate: addScreenVerdicts)
        return migrator
    }

    private static func createV1(_ db: Database) throws {
        let states = DeliveryState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        // Frozen: v1 admitted these two; later kinds arrive with the migration that adds them.
        let verifications = "'echo', 'timeout_fallback'"
        try db.execute(sql: """
            CREATE TABLE delivery (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                agent TEXT NOT NULL,
                incarnation TEXT,
                text TEXT NOT NULL,
                submit INTEGER NOT NULL,
                interrupt INTEGER NOT NULL,
                await_next_incarnation INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN (\(states))),
                verification TEXT CHECK (verification IS NULL OR verification IN (\(verifications))),
                reason TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                injected_at REAL
            );
            CREATE INDEX delivery_agent_state_seq ON delivery(agent, state, seq);
            CREATE INDEX delivery_state_updated ON delivery(state, updated_at);

            CREATE TABLE delivery_history (
                rowid INTEGER PRIMARY KEY,
                delivery_seq INTEGER NOT NULL REFERENCES delivery(seq) ON DELETE CASCADE,
                event TEXT NOT NULL,
                at REAL NOT NULL,
                reason TEXT
            );
            CREATE INDEX delivery_history_delivery ON delivery_history(delivery_seq, rowid);

            CREATE TABLE agent_queue (
                agent TEXT PRIMARY KEY NOT NULL,
                queued INTEGER NOT NULL CHECK (queued >= 0)
            ) WITHOUT ROWID;

            CREATE TRIGGER delivery_queued_on_insert AFTER INSERT ON delivery
            WHEN NEW.state = 'queued'
            BEGIN
                INSERT OR IGNORE INTO agent_queue(agent, queued) VALUES (NEW.agent, 0);
                UPDATE agent_queue SET queued = queued + 1 WHERE agent = NEW.agent;
            END;

            CREATE TRIGGER delivery_queued_on_enter AFTER UPDATE OF state ON delivery
            WHEN OLD.state <> 'queued' AND NEW.state = 'queued'
            BEGIN
                INSERT OR IGNORE INTO agent_queue(agent, queued) VALUES (NEW.agent, 0);
                UPDATE agent_queue SET queued = queued + 1 WHERE agent = NEW.agent;
            END;

            CREATE TRIGGER delivery_queued_on_leave AFTER UPDATE OF state ON delivery
            WHEN OLD.state = 'queued' AND NEW.state <> 'queued'
            BEGIN
                UPDATE agent_queue SET queued = queued - 1 WHERE agent = OLD.agent;
            END;

            CREATE TRIGGER delivery_queued_on_delete AFTER DELETE ON delivery
            WHEN OLD.state = 'queued'
            BEGIN
                UPDATE agent_queue SET queued = queued - 1 WHERE agent = OLD.agent;
            END;

            CREATE TRIGGER delivery_agent_is_fixed BEFORE UPDATE OF agent ON delivery
            WHEN OLD.agent <> NEW.agent
            BEGIN
                SELECT RAISE(ABORT, 'a delivery''s agent never changes');
            END;
            """)
    }

    /// v2: `verification` also admits `screen`; a verdict keeps its `evidence` (JSON: kind,
    /// summary, lines); a delivery says `deliver_when` it may be typed (`now` or `idle`).
    /// SQLite cannot change a CHECK constraint in place, so the table is rebuilt (foreign keys
    /// are off during a GRDB migration and checked at its end) and its indexes and triggers
    /// made again, the same as v1's.
    private static func addScreenVerdicts(_ db: Database) throws {
        let states = DeliveryState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let verifications = "'echo', 'timeout_fallback', 'screen'"
        let timings = "'now', 'idle'"
        // The high-water mark of `seq` (pruned deliveries included) must survive the rebuild.
        let highest = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'delivery'") ?? 0
        try db.execute(sql: """
            CREATE TABLE delivery_v2 (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                agent TEXT NOT NULL,
                incarnation TEXT,
                text TEXT NOT NULL,
                submit INTEGER NOT NULL,
                interrupt INTEGER NOT NULL,
                await_next_incarnation INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN (\(states))),
                verification TEXT CHECK (verification IS NULL OR verification IN (\(verifications))),
                reason TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                injected_at REAL,
                evidence TEXT,
                deliver_when TEXT NOT NULL DEFAULT 'now' CHECK (deliver_when IN (\(timings)))
            );
            INSERT INTO delivery_v2 (seq, id, agent, incarnation, text, submit, interrupt, await_next_incarnation,
                                     state, verification, reason, attempts, created_at, updated_at, injected_at)
                SELECT seq, id, agent, incarnation, text, submit, interrupt, await_next_incarnation,
                       state, verification, reason, attempts, created_at, updated_at, injected_at FROM delivery;
            DROP TABLE delivery;
            ALTER TABLE delivery_v2 RENAME TO delivery;
            CREATE INDEX delivery_agent_state_seq ON delivery(agent, state, seq);
            CREATE INDEX delivery_state_updated ON delivery(state, updated_at);

            CREATE TRIGGER delivery_queued_on_insert AFTER INSERT ON delivery
            WHEN NEW.state = 'queued'
            BEGIN
                INSERT OR IGNORE INTO agent_queue(agent, queued) VALUES (NEW.agent, 0);
                UPDATE agent_queue SET queued = queued + 1 WHERE agent = NEW.agent;
            END;

            CREATE TRIGGER delivery_queued_on_enter AFTER UPDATE OF state ON delivery
            WHEN OLD.state <> 'queued' AND NEW.state = 'queued'
            BEGIN
                INSERT OR IGNORE INTO agent_queue(agent, queued) VALUES (NEW.agent, 0);
                UPDATE agent_queue SET queued = queued + 1 WHERE agent = NEW.agent;
            END;

            CREATE TRIGGER delivery_queued_on_leave AFTER UPDATE OF state ON delivery
            WHEN OLD.state = 'queued' AND NEW.state <> 'queued'
            BEGIN
                UPDATE agent_queue SET queued = queued - 1 WHERE agent = OLD.agent;
            END;

            CREATE TRIGGER delivery_queued_on_delete AFTER DELETE ON delivery
            WHEN OLD.state = 'queued'
            BEGIN
                UPDATE agent_queue SET queued = queued - 1 WHERE agent = OLD.agent;
            END;

            CREATE TRIGGER delivery_agent_is_fixed BEFORE UPDATE OF agent ON delivery
            WHEN OLD.agent <> NEW.agent
            BEGIN
                SELECT RAISE(ABORT, 'a delivery''s agent never changes');
            END;
            """)
        try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'delivery'")
        try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('delivery', MAX(?, COALESCE((SELECT MAX(seq) FROM delivery), 0)))", arguments: [highest])
    }
}
