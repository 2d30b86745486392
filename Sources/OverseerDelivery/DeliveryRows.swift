import Foundation
import GRDB

/// Reading and writing `delivery` and `delivery_history` rows. Every statement here is
/// cached and reaches rows through the primary key, the unique id, or an index prefix.
enum DeliveryRows {
    static let columns = """
        seq, id, agent, incarnation, text, submit, interrupt, await_next_incarnation, state,
        verification, reason, attempts, created_at, updated_at, injected_at, evidence, deliver_when
        """

    /// The delivery with this id, without history.
    static func find(_ db: Database, id: String) throws -> Delivery? {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM delivery WHERE id = ?")
        return try Row.fetchOne(statement, arguments: [id]).map(decode)
    }

    /// The delivery with this id, or `DeliveryError.notFound`.
    static func require(_ db: Database, id: String) throws -> Delivery {
        guard let delivery = try find(db, id: id) else { throw DeliveryError.notFound(id: id) }
        return delivery
    }

    /// Deliveries selected by a `WHERE ... ORDER BY ...` clause.
    static func fetch(_ db: Database, where clause: String, arguments: StatementArguments) throws -> [Delivery] {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM delivery WHERE \(clause)")
        return try Row.fetchAll(statement, arguments: arguments).map(decode)
    }

    /// The history of the delivery with sequence `seq`, oldest first.
    static func history(_ db: Database, seq: Int64) throws -> [DeliveryHistoryEntry] {
        let statement = try db.cachedStatement(sql: """
            SELECT event, at, reason FROM delivery_history WHERE delivery_seq = ? ORDER BY rowid
            """)
        return try Row.fetchAll(statement, arguments: [seq]).map { row in
            DeliveryHistoryEntry(event: row["event"], at: row["at"], reason: row["reason"])
        }
    }

    /// Inserts a new `queued` delivery and its first history row; returns it with its sequence.
    static func insert(_ db: Database, _ request: NewDelivery, now: Double) throws -> Delivery {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO delivery (id, agent, text, submit, interrupt, await_next_incarnation,
                                  deliver_when, state, attempts, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)
            """)
        try statement.execute(arguments: [
            request.id, request.agent, request.text, request.submit, request.interrupt,
            request.awaitNextIncarnation, request.when.rawValue, now, now,
        ])
        let delivery = Delivery(
            id: request.id, agent: request.agent, text: request.text, submit: request.submit,
            interrupt: request.interrupt, awaitNextIncarnation: request.awaitNextIncarnation,
            when: request.when, state: .queued, sequence: db.lastInsertedRowID, createdAt: now, updatedAt: now)
        try appendHistory(db, seq: delivery.sequence, event: DeliveryState.queued.rawValue, at: now, reason: nil)
        return delivery
    }

    /// Writes every mutable column of `delivery` (found by its sequence).
    static func update(_ db: Database, _ delivery: Delivery) throws {
        let statement = try db.cachedStatement(sql: """
            UPDATE delivery SET state = ?, incarnation = ?, verification = ?, reason = ?,
                                attempts = ?, updated_at = ?, injected_at = ?, evidence = ?
            WHERE seq = ?
            """)
        try statement.execute(arguments: [
            delivery.state.rawValue, delivery.incarnation, delivery.verification?.rawValue,
            delivery.reason, delivery.attempts, delivery.updatedAt, delivery.injectedAt,
            try delivery.evidence.map(encodeEvidence), delivery.sequence,
        ])
    }

    /// Appends one history row.
    static func appendHistory(_ db: Database, seq: Int64, event: String, at: Double, reason: String?) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO delivery_history (delivery_seq, event, at, reason) VALUES (?, ?, ?, ?)
            """)
        try statement.execute(arguments: [seq, event, at, reason])
    }

    /// Queued deliveries of `agent` (maintained by triggers; no counting).
    static func queuedCount(_ db: Database, agent: String) throws -> Int {
        let statement = try db.cachedStatement(sql: "SELECT queued FROM agent_queue WHERE agent = ?")
        return try Int.fetchOne(statement, arguments: [agent]) ?? 0
    }

    /// 1-based position of a queued delivery among its agent's queued deliveries (an
    /// index range count; used for duplicates only, never on a mutation path).
    static func position(_ db: Database, of delivery: Delivery) throws -> Int {
        let statement = try db.cachedStatement(sql: """
            SELECT COUNT(*) FROM delivery WHERE agent = ? AND state = 'queued' AND seq <= ?
            """)
        return try Int.fetchOne(statement, arguments: [delivery.agent, delivery.sequence]) ?? 0
    }

    static func decode(_ row: Row) throws -> Delivery {
        let stateName: String = row["state"]
        guard let state = DeliveryState(rawValue: stateName) else {
            // The CHECK constraint admits only known states: anything else is damage.
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "unknown delivery state \(stateName)")
        }
        let verificationName: String? = row["verification"]
        let timingName: String = row["deliver_when"]
        guard let timing = DeliveryTiming(rawValue: timingName) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "unknown delivery timing \(timingName)")
        }
        let evidenceJSON: String? = row["evidence"]
        return Delivery(
            id: row["id"], agent: row["agent"], incarnation: row["incarnation"], text: row["text"],
            submit: row["submit"], interrupt: row["interrupt"],
            awaitNextIncarnation: row["await_next_incarnation"], when: timing, state: state,
            verification: verificationName.flatMap(DeliveryVerification.init(rawValue:)),
            evidence: try evidenceJSON.map(decodeEvidence),
            reason: row["reason"], attempts: row["attempts"], sequence: row["seq"],
            createdAt: row["created_at"], updatedAt: row["updated_at"], injectedAt: row["injected_at"])
    }

    static func encodeEvidence(_ evidence: DeliveryEvidence) throws -> String {
        String(decoding: try JSONEncoder().encode(evidence), as: UTF8.self)
    }

    static func decodeEvidence(_ json: String) throws -> DeliveryEvidence {
        do {
            return try JSONDecoder().decode(DeliveryEvidence.self, from: Data(json.utf8))
        } catch {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "unreadable delivery evidence: \(error)")
        }
    }
}
