import OverseerTestSupport
import XCTest

@testable import OverseerDelivery

final class DeliveryStoreTransitionTests: DeliveryStoreTestCase {
    /// The documented state machine, written out independently of `DeliveryState.successors`.
    static let legal: Set<String> = [
        "queued>injecting", "queued>failed", "queued>dropped",
        "injecting>injected", "injecting>queued", "injecting>failed", "injecting>unverified",
        "injected>verified", "injected>unverified",
    ]

    enum Mutation: CaseIterable {
        case injecting, injected, verified, unverified, retry, failed

        var target: DeliveryState {
            switch self {
            case .injecting: .injecting
            case .injected: .injected
            case .verified: .verified
            case .unverified: .unverified
            case .retry: .queued
            case .failed: .failed
            }
        }

        var historyEvent: String { self == .retry ? "retried" : target.rawValue }

        func perform(on store: DeliveryStore, id: String) throws(DeliveryError) -> Delivery {
            switch self {
            case .injecting: try store.markInjecting(id: id, incarnation: "inc-2", now: 50)
            case .injected: try store.markInjected(id: id, now: 50)
            case .verified: try store.markVerified(id: id, verification: .echo, now: 50)
            case .unverified: try store.markUnverified(id: id, reason: "no echo", now: 50)
            case .retry: try store.markRetry(id: id, reason: "EIO", now: 50)
            case .failed: try store.markFailed(id: id, reason: "given up", now: 50)
            }
        }
    }

    func testTheStateMachineTableIsTheDocumentedOne() {
        for from in DeliveryState.allCases {
            for to in DeliveryState.allCases {
                XCTAssertEqual(from.canMove(to: to), Self.legal.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
            XCTAssertEqual(from.isTerminal, from.successors.isEmpty, "\(from)")
        }
    }

    func testEveryMarkMethodFromEveryStateIsAcceptedExactlyWhenLegal() throws {
        let store = try openStore()
        for from in DeliveryState.allCases {
            for mutation in Mutation.allCases {
                let id = "\(from.rawValue)-\(mutation)"
                try prepare(store, id: id, in: from)
                let before = try XCTUnwrap(store.delivery(id: id))
                XCTAssertEqual(before.state, from, id)
                if Self.legal.contains("\(from.rawValue)>\(mutation.target.rawValue)") {
                    let after = try mutation.perform(on: store, id: id)
                    let stored = try XCTUnwrap(store.delivery(id: id))
                    XCTAssertEqual(stored.state, mutation.target, id)
                    XCTAssertEqual(after.state, mutation.target, id)
                    XCTAssertEqual(stored.updatedAt, 50, id)
                    XCTAssertEqual(stored.history?.last?.event, mutation.historyEvent, id)
                    XCTAssertEqual(stored.history?.count, (before.history?.count ?? 0) + 1, id)
                } else {
                    assertThrows(DeliveryError.illegalTransition(id: id, from: from, to: mutation.target)) { () throws(DeliveryError) in
                        try mutation.perform(on: store, id: id)
                    }
                    XCTAssertEqual(try store.delivery(id: id), before, "an illegal transition changes nothing: \(id)")
                }
            }
        }
        let message = DeliveryError.illegalTransition(id: "x1", from: .verified, to: .injecting).description
        XCTAssertEqual(message, "delivery 'x1' cannot move from verified to injecting")
    }

    func testAnUnknownIDIsNotFound() throws {
        let store = try openStore()
        assertThrows(DeliveryError.notFound(id: "ghost")) { () throws(DeliveryError) in try store.markInjected(id: "ghost") }
        assertThrows(DeliveryError.notFound(id: "ghost")) { () throws(DeliveryError) in try store.markRetry(id: "ghost", reason: "x") }
        XCTAssertNil(try store.delivery(id: "ghost"))
    }

    func testHistoryKeepsEveryStepInOrderWithTimesAndReasons() throws {
        let store = try openStore()
        _ = try store.enqueue(request("d1"), now: 1)
        try store.markInjecting(id: "d1", incarnation: "inc-1", now: 2)
        try store.markRetry(id: "d1", reason: "EAGAIN", now: 3)
        try store.markInjecting(id: "d1", incarnation: "inc-1", now: 4)
        try store.markInjected(id: "d1", now: 5)
        try store.markVerified(id: "d1", verification: .timeoutFallback, reason: "no echo in 2s", now: 6)
        let stored = try XCTUnwrap(store.delivery(id: "d1"))
        XCTAssertEqual(stored.history, [
            DeliveryHistoryEntry(event: "queued", at: 1),
            DeliveryHistoryEntry(event: "injecting", at: 2),
            DeliveryHistoryEntry(event: "retried", at: 3, reason: "EAGAIN"),
            DeliveryHistoryEntry(event: "injecting", at: 4),
            DeliveryHistoryEntry(event: "injected", at: 5),
            DeliveryHistoryEntry(event: "verified", at: 6, reason: "no echo in 2s"),
        ])
        XCTAssertEqual(stored.verification, .timeoutFallback)
        XCTAssertEqual(stored.incarnation, "inc-1")
        XCTAssertEqual(stored.injectedAt, 5)
        XCTAssertEqual(stored.attempts, 1)
    }

    func testRetryCountsAttemptsAndFailsTheDeliveryAtTheLimit() throws {
        let store = try openStore()
        _ = try store.enqueue(request("d1"))
        for attempt in 1...9 {
            try store.markInjecting(id: "d1", incarnation: "i")
            let retried = try store.markRetry(id: "d1", reason: "EIO \(attempt)")
            XCTAssertEqual(retried.state, .queued)
            XCTAssertEqual(retried.attempts, attempt)
        }
        try store.markInjecting(id: "d1", incarnation: "i")
        let last = try store.markRetry(id: "d1", reason: "EIO 10")
        XCTAssertEqual(last.state, .failed)
        XCTAssertEqual(last.attempts, 10)
        XCTAssertEqual(last.reason, "gave up after 10 failed write attempts; last: EIO 10")
        let stored = try XCTUnwrap(store.delivery(id: "d1"))
        XCTAssertEqual(stored.history?.filter { $0.event == "retried" }.count, 9)
        XCTAssertEqual(stored.history?.last?.event, "failed")
        XCTAssertEqual(try store.pendingCount(), 0)
    }

    func testAStoreWithAShorterAttemptLimitFailsSooner() throws {
        let store = try openStore(maximumAttempts: 2)
        _ = try store.enqueue(request("d1"))
        try store.markInjecting(id: "d1", incarnation: "i")
        XCTAssertEqual(try store.markRetry(id: "d1", reason: "a").state, .queued)
        try store.markInjecting(id: "d1", incarnation: "i")
        XCTAssertEqual(try store.markRetry(id: "d1", reason: "b").state, .failed)
    }

    func testARetriedDeliveryKeepsItsPlaceAtTheHeadOfTheQueue() throws {
        let store = try openStore()
        for id in ["d1", "d2", "d3"] {
            _ = try store.enqueue(request(id))
        }
        try store.markInjecting(id: "d1", incarnation: "i")
        XCTAssertEqual(try store.nextQueued(agent: "alpha")?.id, "d2")
        try store.markRetry(id: "d1", reason: "EAGAIN")
        XCTAssertEqual(try store.pending(agent: "alpha").map(\.id), ["d1", "d2", "d3"])
    }

    func testFailPendingFailsQueuedDeliveriesExceptThoseAwaitingTheNextIncarnation() throws {
        let store = try openStore()
        _ = try store.enqueue(request("a1"))
        _ = try store.enqueue(request("a2", awaitNext: true))
        _ = try store.enqueue(request("a3"))
        _ = try store.enqueue(request("a4"))
        _ = try store.enqueue(request("b1", agent: "beta"))
        try store.markInjecting(id: "a4", incarnation: "i")
        let failed = try store.failPending(agent: "alpha", now: 9)
        XCTAssertEqual(failed.map(\.id), ["a1", "a3"])
        XCTAssertTrue(failed.allSatisfy { $0.state == .failed && $0.reason == "recipient gone" })
        XCTAssertEqual(try store.delivery(id: "a1")?.history?.last, DeliveryHistoryEntry(event: "failed", at: 9, reason: "recipient gone"))
        XCTAssertEqual(try store.pending(agent: "alpha").map(\.id), ["a2"])
        XCTAssertEqual(try store.delivery(id: "a4")?.state, .injecting, "only queued deliveries are pending")
        XCTAssertEqual(try store.pending(agent: "beta").map(\.id), ["b1"])
    }

    func testPruneDeletesOnlyTerminalDeliveriesOlderThanTheCutoffWithTheirHistory() throws {
        let store = try openStore()
        _ = try store.enqueue(request("old-failed"), now: 1)
        try store.markFailed(id: "old-failed", reason: "x", now: 2)
        _ = try store.enqueue(request("old-queued"), now: 1)
        _ = try store.enqueue(request("new-failed"), now: 1)
        try store.markFailed(id: "new-failed", reason: "x", now: 20)
        _ = try store.enqueue(request("old-injected"), now: 1)
        try store.markInjecting(id: "old-injected", incarnation: "i", now: 2)
        try store.markInjected(id: "old-injected", now: 3)
        XCTAssertEqual(try store.pruneFinished(olderThan: 10), 1)
        XCTAssertNil(try store.delivery(id: "old-failed"))
        XCTAssertNotNil(try store.delivery(id: "old-queued"))
        XCTAssertNotNil(try store.delivery(id: "new-failed"))
        XCTAssertNotNil(try store.delivery(id: "old-injected"))
        XCTAssertEqual(try rowCount(store, table: "delivery_history"), 1 + 2 + 3)
        let reused = try store.enqueue(request("old-failed"), now: 30)
        XCTAssertFalse(reused.duplicate, "a pruned id may be posted again")
        XCTAssertGreaterThan(reused.delivery.sequence, try XCTUnwrap(store.delivery(id: "old-injected")).sequence)
    }

    /// Puts a fresh delivery `id` into `state` through the public API.
    private func prepare(_ store: DeliveryStore, id: String, in state: DeliveryState) throws {
        switch state {
        case .queued:
            _ = try store.enqueue(request(id), cap: 1000, now: 10)
        case .injecting, .injected, .verified:
            try prepare(store, id: id, in: .queued)
            try store.markInjecting(id: id, incarnation: "inc-1", now: 11)
            if state == .injecting { return }
            try store.markInjected(id: id, now: 12)
            if state == .injected { return }
            try store.markVerified(id: id, verification: .echo, now: 13)
        case .unverified:
            try prepare(store, id: id, in: .injected)
            try store.markUnverified(id: id, reason: "no echo", now: 13)
        case .failed:
            try prepare(store, id: id, in: .queued)
            try store.markFailed(id: id, reason: "test", now: 11)
        case .dropped:
            _ = try store.enqueue(request(id, agent: "drop-\(id)"), cap: 1, now: 10)
            _ = try store.enqueue(request(id + "-evictor", agent: "drop-\(id)"), cap: 1, now: 11)
        }
    }
}
