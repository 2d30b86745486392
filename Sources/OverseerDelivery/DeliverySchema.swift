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
        return migrator
    }

    private static func createV1(_ db: Database) throws {
        let states = DeliveryState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let verifications = DeliveryVerification.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
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
}
