import Foundation
import GRDB
import XCTest

@testable import OverseerDelivery

/// The v2 migration (screen verdicts): a store written by v1 opens with every delivery,
/// history row, queue count and sequence high-water mark kept; the new columns persist.
final class DeliverySchemaMigrationTests: DeliveryStoreTestCase {
    /// A v1 database: one queued, one verified by echo, and a pruned delivery that held the highest sequence.
    private func writeV1Store() throws {
        let queue = try DatabaseQueue(path: storePath)
        try DeliverySchema.migrator.migrate(queue, upTo: "v1-deliveries")
        try queue.write { db in
            for (seq, id, state, verification) in [(1, "old-queued", "queued", nil), (2, "old-verified", "verified", "echo"), (9, "pruned", "verified", "echo")] as [(Int, String, String, String?)] {
                try db.execute(sql: """
                    INSERT INTO delivery (seq, id, agent, text, submit, interrupt, await_next_incarnation, state, verification, attempts, created_at, updated_at)
                    VALUES (?, ?, 'alpha', ?, 1, 0, 0, ?, ?, 0, 1, 1)
                    """, arguments: [seq, id, "text of \(id)", state, verification])
                try db.execute(sql: "INSERT INTO delivery_history (delivery_seq, event, at) VALUES (?, 'queued', 1)", arguments: [seq])
            }
            try db.execute(sql: "DELETE FROM delivery_history WHERE delivery_seq = 9")
            try db.execute(sql: "DELETE FROM delivery WHERE seq = 9")
        }
        try queue.close()
    }

    func testAV1StoreMigratesKeepingEverything() throws {
        try writeV1Store()
        let store = try openStore()
        let queued = try XCTUnwrap(store.delivery(id: "old-queued"))
        XCTAssertEqual(queued.state, .queued)
        XCTAssertEqual(queued.when, .now)
        XCTAssertEqual(queued.history?.map(\.event), ["queued"])
        let verified = try XCTUnwrap(store.delivery(id: "old-verified"))
        XCTAssertEqual(verified.verification, .echo)
        XCTAssertNil(verified.evidence)
        XCTAssertEqual(try store.pendingCount(), 1, "the queue counter survived the rebuild")
        let next = try store.enqueue(request("new"), now: 2)
        XCTAssertGreaterThan(next.delivery.sequence, 9, "a pruned sequence number is never handed out again")
        XCTAssertEqual(next.position, 2)
        let counters = try queueCounters(store)
        XCTAssertEqual(counters.kept, counters.counted, "the triggers were recreated")
    }

    func testScreenVerdictsEvidenceAndWhenPersist() throws {
        let store = try openStore()
        _ = try store.enqueue(NewDelivery(id: "idle-one", agent: "alpha", text: "hello", when: .idle), now: 1)
        try store.note(id: "idle-one", event: DeliveryHistoryEntry.waitingForIdle, reason: "waiting", now: 2)
        try store.markInjecting(id: "idle-one", incarnation: "inc", now: 3)
        try store.markInjected(id: "idle-one", now: 4)
        let evidence = DeliveryEvidence(kind: "input_cleared", summary: "the input area no longer holds the text", lines: ["row 3: ptk> hello", "row 5: ptk>"])
        try store.markVerified(id: "idle-one", verification: .screen, evidence: evidence, now: 5)
        try store.close()

        let reopened = try openStore()
        let stored = try XCTUnwrap(reopened.delivery(id: "idle-one"))
        XCTAssertEqual(stored.when, .idle)
        XCTAssertEqual(stored.verification, .screen)
        XCTAssertEqual(stored.evidence, evidence)
        XCTAssertEqual(stored.history?.map(\.event), ["queued", "waiting_for_idle", "injecting", "injected", "verified"])
        XCTAssertThrowsError(try reopened.note(id: "idle-one", event: "typed", reason: nil), "a finished delivery takes no more history")
        XCTAssertThrowsError(try reopened.enqueue(NewDelivery(id: "idle-one", agent: "alpha", text: "hello", when: .now), now: 6)) { error in
            XCTAssertEqual(error as? DeliveryError, .conflict(id: "idle-one", fields: ["when"]))
        }
    }
}
