import Foundation
import GRDB
import Synchronization
import XCTest

@testable import OverseerIdempotency

/// The cost of an operation must not grow with the number of stored entries.
final class IdempotencyStoreCostTests: IdempotencyTestCase {
    /// Every statement the stores run reaches its rows through an index or a primary key:
    /// no table scan and no sort, whatever the data (the one index walk allowed is bounded by
    /// a LIMIT). Deterministic, unlike timing.
    func testEveryStatementUsesAnIndexAndNeverScansOrSorts() throws {
        let store = try openStore(ttl: 100)
        let checkpoints = try openCheckpoints()
        try seed(store, count: 50, base: 1_000)
        let log = StatementLog()
        for queue in [store.connection.queue, checkpoints.connection.queue] {
            queue.writeWithoutTransaction { db in
                db.trace { event in
                    if case .statement(let statement) = event { log.append(statement.sql) }
                }
            }
        }
        _ = try store.lookup(key: "seed-3", now: 1_010)
        try store.save(key: "new", fingerprint: "f", response: reply("new"), now: 1_060, pruningTo: 45)
        _ = try store.delete(key: "seed-7")
        _ = try store.prune(now: 1_120, ttl: 100, maxEntries: 10)
        _ = try store.count()
        _ = try checkpoints.advance(agent: "a", generation: 1, index: 1, now: 1)
        _ = try checkpoints.lastIndex(agent: "a", generation: 1)
        _ = try checkpoints.markReleased(agent: "a", generation: 1, now: 2)
        _ = try checkpoints.pruneReleased(olderThan: 1)
        _ = try checkpoints.acknowledge(agent: "a", generation: 1)
        for queue in [store.connection.queue, checkpoints.connection.queue] {
            queue.writeWithoutTransaction { db in db.trace(nil) }
        }

        let statements = Set(log.statements.filter { sql in
            !sql.hasPrefix("--") && !["BEGIN", "COMMIT", "ROLLBACK"].contains(where: sql.uppercased().hasPrefix)
        })
        XCTAssertGreaterThanOrEqual(statements.count, 12, "\(statements)")
        for sql in statements {
            let plan = try store.connection.read("plan") { db in
                let parameters = sql.filter { $0 == "?" }.count
                return try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: StatementArguments(Array(repeating: DatabaseValue.null, count: parameters))
                ).map { $0["detail"] as String }
            }
            for step in plan {
                // An ordered walk of the completed_at index that a LIMIT stops after the rows
                // to delete is reported as a SCAN, but reads only those rows.
                let boundedWalk = step == "SCAN idempotency_response USING COVERING INDEX idempotency_response_completed"
                    && sql.contains("ORDER BY completed_at, rowid LIMIT ?")
                XCTAssertFalse(step.hasPrefix("SCAN") && !boundedWalk, "\(sql) → \(step)")
                XCTAssertFalse(step.contains("TEMP B-TREE"), "\(sql) → \(step)")
            }
        }
    }

    /// Timing, interleaved between a store with 10 and one with 10,000 entries so that noise
    /// from other work on the machine hits both alike. The bound is loose (3x) and a noisy
    /// round is retried twice. Prints the medians.
    func testSaveAndLookupMediansWith10000EntriesStayWithin3xOf10() throws {
        let small = try openStore(path: directory + "/small.sqlite", ttl: 1_000_000)
        let large = try openStore(path: directory + "/large.sqlite", ttl: 1_000_000)
        try seed(small, count: 10, base: 1_000)
        try seed(large, count: 10_000, base: 1_000)
        var ratios: [(save: Double, lookup: Double)] = []
        for round in 0..<3 {
            var times: [String: [Double]] = [:]
            for cycle in 0..<40 {
                for (name, store, size) in [("small", small, 10), ("large", large, 10_000)] {
                    // Saved five cycles ago: still within even the small store's bound.
                    let key = "r\(round)-c\(max(0, cycle - 5))"
                    times["\(name)-save", default: []].append(try microseconds {
                        try store.save(
                            key: "r\(round)-c\(cycle)", fingerprint: "f", response: reply("x"), now: 50_000,
                            pruningTo: size)
                    })
                    times["\(name)-lookup", default: []].append(try microseconds {
                        XCTAssertNotNil(try store.lookup(key: key, now: 50_000))
                    })
                }
            }
            let medians = times.mapValues(median)
            let saveRatio = medians["large-save"]! / medians["small-save"]!
            let lookupRatio = medians["large-lookup"]! / medians["small-lookup"]!
            ratios.append((saveRatio, lookupRatio))
            print(String(
                format: "idempotency store medians (µs), round %d: save 10=%.1f 10000=%.1f; lookup 10=%.1f 10000=%.1f",
                round, medians["small-save"]!, medians["large-save"]!, medians["small-lookup"]!, medians["large-lookup"]!))
            if saveRatio < 3, lookupRatio < 3 { break }
        }
        let last = try XCTUnwrap(ratios.last)
        XCTAssertLessThan(last.save, 3, "10,000 / 10 save median ratios per round: \(ratios.map(\.save))")
        XCTAssertLessThan(last.lookup, 3, "10,000 / 10 lookup median ratios per round: \(ratios.map(\.lookup))")
        XCTAssertEqual(try large.count(), 10_000, "the bound held through every save")
        XCTAssertEqual(try small.count(), 10)
    }
}

/// SQL seen by a trace callback (which GRDB calls on the connection's queue).
private final class StatementLog: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ sql: String) {
        entries.withLock { $0.append(sql) }
    }

    var statements: [String] { entries.withLock { $0 } }
}
