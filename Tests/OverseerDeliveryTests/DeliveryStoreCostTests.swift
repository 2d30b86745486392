import Foundation
import GRDB
import XCTest

@testable import OverseerDelivery

/// The cost of a mutation must not grow with the number of pending deliveries.
final class DeliveryStoreCostTests: DeliveryStoreTestCase {
    /// Every statement a mutation runs reaches its rows through an index or the primary key:
    /// no table scan and no sort, whatever the data. Deterministic, unlike timing.
    func testEveryMutationStatementUsesAnIndexAndNeverScansOrSorts() throws {
        let store = try openStore()
        try seed(store, pending: 50)
        let log = StatementLog()
        store.queue.writeWithoutTransaction { db in
            db.trace { event in
                if case .statement(let statement) = event { log.append(statement.sql) }
            }
        }
        _ = try store.enqueue(request("new-1"), cap: 1000)
        _ = try store.enqueue(request("new-2"), cap: 3)
        _ = try store.enqueue(request("new-2"), cap: 3)
        let next = try XCTUnwrap(store.nextQueued(agent: "alpha"))
        try store.markInjecting(id: next.id, incarnation: "i")
        try store.markRetry(id: next.id, reason: "EIO")
        try store.markInjecting(id: next.id, incarnation: "i")
        try store.markInjected(id: next.id)
        try store.markVerified(id: next.id, verification: .echo)
        _ = try store.enqueue(request("u1"))
        try store.markInjecting(id: "u1", incarnation: "i")
        try store.markUnverified(id: "u1", reason: "no echo")
        _ = try store.enqueue(request("f1"))
        try store.markFailed(id: "f1", reason: "test")
        _ = try store.enqueue(request("r1"))
        try store.markInjecting(id: "r1", incarnation: "i")
        _ = try store.recoverInterrupted()
        _ = try store.failPending(agent: "alpha")
        store.queue.writeWithoutTransaction { db in db.trace(nil) }

        let statements = Set(log.statements.filter { sql in
            !sql.hasPrefix("--") && !["BEGIN", "COMMIT", "ROLLBACK"].contains(where: sql.uppercased().hasPrefix)
        })
        XCTAssertGreaterThanOrEqual(statements.count, 8, "\(statements)")
        for sql in statements {
            let plan = try store.queue.read { db in
                let parameters = sql.filter { $0 == "?" }.count
                return try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: StatementArguments(Array(repeating: DatabaseValue.null, count: parameters))
                ).map { $0["detail"] as String }
            }
            for step in plan {
                XCTAssertFalse(step.hasPrefix("SCAN"), "\(sql) → \(step)")
                XCTAssertFalse(step.contains("TEMP B-TREE"), "\(sql) → \(step)")
            }
        }
    }

    /// Timing, interleaved between a store with 10 and one with 10,000 pending deliveries so
    /// that noise from other work on the machine hits both alike. The bound is loose (3x) and
    /// a noisy round is retried twice; the benchmark is where the real numbers are.
    func testMutationMedianWith10000PendingStaysWithin3xOf10Pending() throws {
        let small = try openStore(path: directory + "/small.sqlite")
        let large = try openStore(path: directory + "/large.sqlite")
        try seed(small, pending: 10)
        try seed(large, pending: 10_000)
        var ratios: [Double] = []
        for round in 0..<3 {
            var smallTimes: [Double] = [], largeTimes: [Double] = []
            for cycle in 0..<30 {
                smallTimes += try cycleTimes(small, id: "r\(round)-c\(cycle)")
                largeTimes += try cycleTimes(large, id: "r\(round)-c\(cycle)")
            }
            let ratio = median(largeTimes) / median(smallTimes)
            ratios.append(ratio)
            if ratio < 3 { break }
        }
        XCTAssertLessThan(try XCTUnwrap(ratios.last), 3, "10,000-pending / 10-pending median ratios per round: \(ratios)")
        XCTAssertEqual(try large.pendingCount(), 10_000)
    }

    /// Adds `pending` queued deliveries of agent alpha in one transaction.
    private func seed(_ store: DeliveryStore, pending: Int) throws {
        try store.write("seed") { db in
            for index in 0..<pending {
                _ = try DeliveryStore.enqueue(db, request("seed-\(index)"), cap: 1_000_000, now: 1)
            }
        }
    }

    /// The median (mean of the middle two for an even count).
    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Microseconds of each of the four mutations of one steady-state cycle.
    private func cycleTimes(_ store: DeliveryStore, id: String) throws -> [Double] {
        let clock = ContinuousClock()
        var times: [Double] = []
        func time(_ body: () throws -> Void) rethrows {
            let start = clock.now
            try body()
            let elapsed = clock.now - start
            times.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
        }
        try time { _ = try store.enqueue(request(id), cap: 1_000_000) }
        let next = try XCTUnwrap(store.nextQueued(agent: "alpha"))
        try time { try store.markInjecting(id: next.id, incarnation: "i") }
        try time { try store.markInjected(id: next.id) }
        try time { try store.markVerified(id: next.id, verification: .echo) }
        return times
    }
}

/// SQL seen by a trace callback (which GRDB calls on the connection's queue).
private final class StatementLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []

    func append(_ sql: String) {
        lock.lock()
        entries.append(sql)
        lock.unlock()
    }

    var statements: [String] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }
}
