import Foundation
import OverseerTestSupport
import XCTest

@testable import OverseerDelivery

final class DeliveryStoreEnqueueTests: DeliveryStoreTestCase {
    func testEnqueuePersistsAQueuedDeliveryWithItsFirstHistoryEntry() throws {
        let store = try openStore()
        let result = try store.enqueue(request("d1", text: "hello", submit: false, interrupt: true, awaitNext: true), now: 100)
        XCTAssertFalse(result.duplicate)
        XCTAssertEqual(result.position, 1)
        XCTAssertEqual(result.evicted, [])
        let stored = try XCTUnwrap(store.delivery(id: "d1"))
        XCTAssertEqual(stored, result.delivery)
        XCTAssertEqual(stored.state, .queued)
        XCTAssertEqual(stored.text, "hello")
        XCTAssertFalse(stored.submit)
        XCTAssertTrue(stored.interrupt)
        XCTAssertTrue(stored.awaitNextIncarnation)
        XCTAssertEqual(stored.attempts, 0)
        XCTAssertNil(stored.incarnation)
        XCTAssertEqual(stored.createdAt, 100)
        XCTAssertEqual(stored.updatedAt, 100)
        XCTAssertEqual(stored.history, [DeliveryHistoryEntry(event: "queued", at: 100)])
    }

    func testRepostingTheSameDeliveryReturnsItAsDuplicateAndQueuesNothing() throws {
        let store = try openStore()
        let first = try store.enqueue(request("d1"), now: 1)
        _ = try store.enqueue(request("d2"), now: 2)
        let again = try store.enqueue(request("d1"), now: 3)
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual(again.delivery.sequence, first.delivery.sequence)
        XCTAssertEqual(again.delivery.createdAt, 1)
        XCTAssertEqual(again.position, 1)
        XCTAssertEqual(try store.pendingCount(agent: "alpha"), 2)
        XCTAssertEqual(try store.pending(agent: "alpha").map(\.id), ["d1", "d2"])
    }

    func testRepostingWithDifferentContentIsAConflictNamingTheIDAndFields() throws {
        let store = try openStore()
        _ = try store.enqueue(request("d1", agent: "alpha", text: "x"))
        let variants: [(NewDelivery, [String])] = [
            (request("d1", agent: "beta", text: "x"), ["agent"]),
            (request("d1", agent: "alpha", text: "y"), ["text"]),
            (request("d1", agent: "alpha", text: "x", submit: false), ["submit"]),
            (request("d1", agent: "alpha", text: "x", interrupt: true), ["interrupt"]),
            (request("d1", agent: "alpha", text: "x", awaitNext: true), ["await_next_incarnation"]),
            (request("d1", agent: "beta", text: "y"), ["agent", "text"]),
        ]
        for (variant, fields) in variants {
            assertThrows(DeliveryError.conflict(id: "d1", fields: fields)) { () throws(DeliveryError) in
                try store.enqueue(variant)
            }
        }
        let message = DeliveryError.conflict(id: "d1", fields: ["text"]).description
        XCTAssertTrue(message.contains("'d1'") && message.contains("text"), message)
        XCTAssertEqual(try store.pendingCount(), 1)
    }

    func testADuplicateOfAFinishedDeliveryHasNoPosition() throws {
        let store = try openStore()
        _ = try store.enqueue(request("d1"))
        try store.markFailed(id: "d1", reason: "test")
        let again = try store.enqueue(request("d1"))
        XCTAssertTrue(again.duplicate)
        XCTAssertNil(again.position)
        XCTAssertEqual(again.delivery.state, .failed)
        XCTAssertEqual(again.delivery.history?.map(\.event), ["queued", "failed"])
    }

    func testPositionCountsOnlyTheAgentsQueuedDeliveries() throws {
        let store = try openStore()
        XCTAssertEqual(try store.enqueue(request("a1", agent: "a")).position, 1)
        XCTAssertEqual(try store.enqueue(request("a2", agent: "a")).position, 2)
        XCTAssertEqual(try store.enqueue(request("b1", agent: "b")).position, 1)
        try store.markInjecting(id: "a1", incarnation: "i1")
        XCTAssertEqual(try store.enqueue(request("a3", agent: "a")).position, 2)
        XCTAssertEqual(try store.enqueue(request("a2", agent: "a")).position, 1, "duplicate's current position")
    }

    func testCapEvictsTheOldestQueuedDeliveriesInOrder() throws {
        let store = try openStore()
        var evicted: [Delivery] = []
        for index in 0..<300 {
            let result = try store.enqueue(request("m\(index)"), cap: 256, now: Double(index))
            XCTAssertEqual(result.evicted.count, index < 256 ? 0 : 1, "enqueue \(index)")
            XCTAssertEqual(result.position, min(index + 1, 256))
            evicted += result.evicted
        }
        XCTAssertEqual(evicted.map(\.id), (0..<44).map { "m\($0)" })
        for victim in evicted {
            let stored = try XCTUnwrap(store.delivery(id: victim.id))
            XCTAssertEqual(stored.state, .dropped)
            XCTAssertEqual(stored.reason, victim.reason)
            XCTAssertTrue(stored.reason?.contains("cap of 256") ?? false, stored.reason ?? "nil")
            XCTAssertEqual(stored.history?.map(\.event), ["queued", "dropped"])
        }
        XCTAssertEqual(try store.pendingCount(agent: "alpha"), 256)
        XCTAssertEqual(try store.pending(agent: "alpha").first?.id, "m44")
        XCTAssertEqual(try rowCount(store, table: "delivery"), 300)
    }

    func testCapCountsOnlyQueuedDeliveriesAndOnlyTheSameAgent() throws {
        let store = try openStore()
        _ = try store.enqueue(request("a1"), cap: 2)
        try store.markInjecting(id: "a1", incarnation: "i1")
        _ = try store.enqueue(request("b1", agent: "beta"), cap: 2)
        _ = try store.enqueue(request("a2"), cap: 2)
        let third = try store.enqueue(request("a3"), cap: 2)
        XCTAssertEqual(third.evicted, [], "a1 is injecting, beta's delivery is not alpha's")
        let fourth = try store.enqueue(request("a4"), cap: 2)
        XCTAssertEqual(fourth.evicted.map(\.id), ["a2"])
        XCTAssertEqual(try store.delivery(id: "a1")?.state, .injecting)
    }

    func testALoweredCapEvictsEveryExcessDeliveryAtOnce() throws {
        let store = try openStore()
        for index in 0..<10 {
            _ = try store.enqueue(request("m\(index)"), cap: 100)
        }
        let result = try store.enqueue(request("m10"), cap: 5)
        XCTAssertEqual(result.evicted.map(\.id), (0..<6).map { "m\($0)" })
        XCTAssertEqual(result.position, 5)
        XCTAssertEqual(try store.pending(agent: "alpha").map(\.id), ["m6", "m7", "m8", "m9", "m10"])
    }

    func testInvalidRequestsAndCapsAreRejectedNamingTheField() throws {
        let store = try openStore()
        assertThrows(DeliveryError.invalidRequest(field: "id", reason: "must not be empty")) { () throws(DeliveryError) in
            try store.enqueue(request(""))
        }
        assertThrows(DeliveryError.invalidRequest(field: "agent", reason: "must not be empty")) { () throws(DeliveryError) in
            try store.enqueue(request("d1", agent: ""))
        }
        assertThrows(DeliveryError.invalidRequest(field: "agent", reason: "must not contain control characters")) { () throws(DeliveryError) in
            try store.enqueue(request("d1", agent: "a\nb"))
        }
        let longID = String(repeating: "x", count: 300)
        assertThrows(DeliveryError.invalidRequest(field: "id", reason: "is 300 bytes long, the limit is 256")) { () throws(DeliveryError) in
            try store.enqueue(request(longID))
        }
        assertThrows(DeliveryError.invalidArgument(name: "cap", reason: "must be at least 1, got 0")) { () throws(DeliveryError) in
            try store.enqueue(request("d1"), cap: 0)
        }
        XCTAssertEqual(try store.pendingCount(), 0)
    }

    func testPendingQueriesAreFIFOAndPerAgent() throws {
        let store = try openStore()
        for (id, agent) in [("c1", "carol"), ("a1", "alpha"), ("c2", "carol"), ("a2", "alpha"), ("b1", "bob")] {
            _ = try store.enqueue(request(id, agent: agent))
        }
        XCTAssertEqual(try store.pending(agent: "carol").map(\.id), ["c1", "c2"])
        XCTAssertEqual(try store.nextQueued(agent: "alpha")?.id, "a1")
        XCTAssertNil(try store.nextQueued(agent: "nobody"))
        XCTAssertEqual(try store.pendingCount(agent: "alpha"), 2)
        XCTAssertEqual(try store.pendingCount(), 5)
        try store.markFailed(id: "b1", reason: "test")
        try store.markInjecting(id: "a1", incarnation: "i")
        XCTAssertEqual(try store.nextQueued(agent: "alpha")?.id, "a2")
        XCTAssertEqual(try store.pendingCount(), 3)
        let pending = try store.pending(agent: "carol")
        XCTAssertEqual(pending.map(\.sequence), pending.map(\.sequence).sorted())
        XCTAssertNil(pending.first?.history, "listings come without history")
    }

    func testTriggerMaintainedQueueCountsMatchTheRowsThroughEveryKindOfChange() throws {
        let store = try openStore()
        for index in 0..<40 {
            _ = try store.enqueue(request("m\(index)", agent: "agent-\(index % 3)", awaitNext: index % 5 == 0), cap: 8)
        }
        try store.markInjecting(id: "m39", incarnation: "i")
        _ = try store.markRetry(id: "m39", reason: "EAGAIN")
        try store.markInjecting(id: "m38", incarnation: "i")
        _ = try store.failPending(agent: "agent-1")
        try store.markFailed(id: "m36", reason: "test")
        _ = try store.pruneFinished(olderThan: .infinity)
        let counters = try queueCounters(store)
        XCTAssertEqual(counters.kept, counters.counted)
        XCTAssertEqual(try store.pendingCount(), counters.counted.values.reduce(0, +))
    }

    func testConcurrentCallersAreSerializedWithoutLosingOrDoublingAnything() throws {
        let store = try openStore()
        let requests = (0..<4).map { worker in (0..<25).map { request("w\(worker)-\($0)", agent: "agent-\(worker % 2)") } }
        let failures = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for item in requests[worker] {
                do {
                    _ = try store.enqueue(item, cap: 1000)
                    _ = try store.enqueue(item, cap: 1000)
                } catch {
                    failures.append("\(item.id): \(error)")
                }
            }
        }
        XCTAssertEqual(failures.entries, [])
        XCTAssertEqual(try store.pendingCount(agent: "agent-0"), 50)
        XCTAssertEqual(try store.pendingCount(agent: "agent-1"), 50)
        let sequences = try (0..<2).flatMap { try store.pending(agent: "agent-\($0)").map(\.sequence) }
        XCTAssertEqual(Set(sequences).count, 100)
        let counters = try queueCounters(store)
        XCTAssertEqual(counters.kept, counters.counted)
    }
}

/// Errors collected from several threads.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    func append(_ entry: String) {
        lock.lock()
        items.append(entry)
        lock.unlock()
    }

    var entries: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
