import Foundation
import OverseerTestSupport
import XCTest

@testable import OverseerIdempotency

/// The coordinator's failure paths: cancellation, invalid input, and store failures.
final class IdempotencyCoordinatorFailureTests: IdempotencyTestCase {
    /// A waiter whose task is cancelled stops waiting; the run completes and is stored.
    func testACancelledWaiterThrowsCancelledAndTheRunCompletes() async throws {
        let coordinator = try openCoordinator()
        let gate = Gate()
        let runs = Counter()
        let operation: @Sendable () async -> StoredResponse = {
            runs.increment()
            await gate.wait()
            return reply("done")
        }
        let leader = Task { try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation) }
        _ = await eventually { runs.current == 1 }
        let waiter = Task {
            await result { () async throws(IdempotencyError) in
                try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation)
            }
        }
        let waiting = await eventually { coordinator.waiterCount(key: "k") == 1 }
        XCTAssertTrue(waiting)
        waiter.cancel()
        let waited = await waiter.value
        XCTAssertEqual(waited, .failure(.cancelled(key: "k")))
        XCTAssertEqual(coordinator.waiterCount(key: "k"), 0)
        gate.open()
        let outcome = try await leader.value
        XCTAssertEqual(outcome, .fresh(reply("done")))
        XCTAssertEqual(runs.current, 1)
        XCTAssertEqual(try coordinator.store.lookup(key: "k")?.response, reply("done"))
    }

    func testAnInvalidKeyIsRejectedWithoutRunning() async throws {
        let coordinator = try openCoordinator()
        let runs = Counter()
        await assertThrowsAsync(IdempotencyError.invalidKey(key: "bad\u{1}", reason: "a control character at byte 3; only printable ASCII (0x20-0x7E) is allowed")) {
            () async throws(IdempotencyError) in
            try await coordinator.perform(key: "bad\u{1}", fingerprint: "fp") { runs.increment(); return reply("x") }
        }
        XCTAssertEqual(runs.current, 0)
    }

    /// A save that fails still hands the response to the caller (in the error) and to waiters.
    func testAFailedSaveThrowsResponseNotSavedCarryingTheResponse() async throws {
        let coordinator = try openCoordinator()
        let gate = Gate()
        let runs = Counter()
        let operation: @Sendable () async -> StoredResponse = {
            runs.increment()
            await gate.wait()
            return reply("made")
        }
        let leader = Task {
            await result { () async throws(IdempotencyError) in
                try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation)
            }
        }
        _ = await eventually { runs.current == 1 }
        let waiter = Task { try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation) }
        _ = await eventually { coordinator.waiterCount(key: "k") == 1 }
        try coordinator.store.close()
        gate.open()
        let message = IdempotencyError.database(path: storePath, operation: "save", message: "the store is closed").description
        let leaderResult = await leader.value
        XCTAssertEqual(leaderResult, .failure(.responseNotSaved(key: "k", response: reply("made"), message: message)))
        let waiterOutcome = try await waiter.value
        XCTAssertEqual(waiterOutcome, .replayed(reply("made")))
        XCTAssertFalse(coordinator.isInFlight(key: "k"))
        XCTAssertEqual(runs.current, 1)
    }

    /// A lookup that fails runs nothing and leaves the key free.
    func testAFailedLookupRunsNothing() async throws {
        let coordinator = try openCoordinator()
        try coordinator.store.close()
        let runs = Counter()
        await assertThrowsAsync(IdempotencyError.database(path: storePath, operation: "lookup", message: "the store is closed")) {
            () async throws(IdempotencyError) in
            try await coordinator.perform(key: "k", fingerprint: "fp") { runs.increment(); return reply("x") }
        }
        XCTAssertEqual(runs.current, 0)
        XCTAssertFalse(coordinator.isInFlight(key: "k"))
    }

    func testSettingsAreValidated() throws {
        let store = try openStore()
        assertThrows(IdempotencyError.invalidArgument(name: "maxEntries", reason: "must be at least 1, got 0")) { () throws(IdempotencyError) in
            try IdempotencyCoordinator(store: store, maxEntries: 0)
        }
        let coordinator = try IdempotencyCoordinator(path: directory + "/other.sqlite", ttl: 42, maxEntries: 7)
        XCTAssertEqual(coordinator.ttl, 42)
        XCTAssertEqual(coordinator.maxEntries, 7)
        try coordinator.store.close()
    }
}
