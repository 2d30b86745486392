import Foundation
import OverseerTestSupport
import XCTest

@testable import OverseerIdempotency

final class IdempotencyCoordinatorTests: IdempotencyTestCase {
    /// 50 concurrent calls with one key and request: one runs, 49 wait and get its response.
    func testFiftyConcurrentIdenticalPerformsRunTheOperationOnce() async throws {
        let coordinator = try openCoordinator()
        let runs = Counter()
        let gate = Gate()
        let expected = reply("created", status: 201)
        let operation: @Sendable () async -> StoredResponse = {
            runs.increment()
            await gate.wait()
            return expected
        }
        let outcomes = try await withThrowingTaskGroup(of: IdempotencyOutcome.self) { group in
            for _ in 0..<50 {
                group.addTask { try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation) }
            }
            let allWaiting = await eventually { coordinator.waiterCount(key: "k") == 49 }
            XCTAssertTrue(allWaiting, "\(coordinator.waiterCount(key: "k")) callers waiting, \(runs.current) runs")
            gate.open()
            var outcomes: [IdempotencyOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        XCTAssertEqual(runs.current, 1)
        XCTAssertEqual(outcomes.count, 50)
        XCTAssertEqual(outcomes.filter { !$0.isReplayed }, [.fresh(expected)])
        XCTAssertEqual(outcomes.filter(\.isReplayed).count, 49)
        XCTAssertTrue(outcomes.allSatisfy { $0.response == expected })
        XCTAssertFalse(coordinator.isInFlight(key: "k"))
        XCTAssertEqual(try coordinator.store.lookup(key: "k")?.response, expected)

        let later = try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation)
        XCTAssertEqual(later, .replayed(expected))
        XCTAssertEqual(runs.current, 1)
    }

    func testAnotherFingerprintIsKeyReusedWhileRunningAndAfterCompletion() async throws {
        let coordinator = try openCoordinator()
        let gate = Gate()
        let started = Counter()
        let first = Task {
            try await coordinator.perform(key: "k", fingerprint: "fp-a") {
                started.increment()
                await gate.wait()
                return reply("a")
            }
        }
        let running = await eventually { started.current == 1 }
        XCTAssertTrue(running)
        let otherRuns = Counter()
        await assertThrowsAsync(IdempotencyError.keyReused(key: "k")) { () async throws(IdempotencyError) in
            try await coordinator.perform(key: "k", fingerprint: "fp-b") { otherRuns.increment(); return reply("b") }
        }
        gate.open()
        let outcome = try await first.value
        XCTAssertEqual(outcome, .fresh(reply("a")))
        await assertThrowsAsync(IdempotencyError.keyReused(key: "k")) { () async throws(IdempotencyError) in
            try await coordinator.perform(key: "k", fingerprint: "fp-b") { otherRuns.increment(); return reply("b") }
        }
        XCTAssertEqual(otherRuns.current, 0)
        XCTAssertEqual(try coordinator.store.lookup(key: "k")?.fingerprint, "fp-a")
    }

    /// A 5xx is returned (and shared with concurrent waiters) but not stored: a retry runs again.
    func testServerErrorsAreNotCached() async throws {
        let coordinator = try openCoordinator()
        let runs = Counter()
        let gate = Gate()
        let failing: @Sendable () async -> StoredResponse = {
            runs.increment()
            await gate.wait()
            return reply("unavailable", status: 503)
        }
        let leader = Task { try await coordinator.perform(key: "k", fingerprint: "fp", operation: failing) }
        let waiter = Task {
            _ = await eventually { runs.current == 1 }
            return try await coordinator.perform(key: "k", fingerprint: "fp", operation: failing)
        }
        let waiting = await eventually { coordinator.waiterCount(key: "k") == 1 }
        XCTAssertTrue(waiting)
        gate.open()
        let leaderOutcome = try await leader.value
        let waiterOutcome = try await waiter.value
        XCTAssertEqual(leaderOutcome, .fresh(reply("unavailable", status: 503)))
        XCTAssertEqual(waiterOutcome, .replayed(reply("unavailable", status: 503)))
        XCTAssertEqual(try coordinator.store.count(), 0)
        XCTAssertNil(try coordinator.store.lookup(key: "k"))

        let retry = try await coordinator.perform(key: "k", fingerprint: "fp") {
            runs.increment()
            return reply("ok")
        }
        XCTAssertEqual(retry, .fresh(reply("ok")))
        XCTAssertEqual(runs.current, 2)
        XCTAssertEqual(try coordinator.store.count(), 1)
    }

    func testForgetMakesTheKeyUsableWithAnyRequest() async throws {
        let coordinator = try openCoordinator()
        _ = try await coordinator.perform(key: "k", fingerprint: "fp-a") { reply("a") }
        let forgotten = try await coordinator.forget(key: "k")
        XCTAssertTrue(forgotten)
        let again = try await coordinator.forget(key: "k")
        XCTAssertFalse(again)
        let unknown = try await coordinator.forget(key: "never-used")
        XCTAssertFalse(unknown)
        let fresh = try await coordinator.perform(key: "k", fingerprint: "fp-b") { reply("b") }
        XCTAssertEqual(fresh, .fresh(reply("b")))
        XCTAssertEqual(try coordinator.store.lookup(key: "k")?.fingerprint, "fp-b")
        await assertThrowsAsync(IdempotencyError.invalidKey(key: "", reason: "must not be empty")) { () async throws(IdempotencyError) in
            try await coordinator.forget(key: "")
        }
    }

    func testForgetRefusesAKeyWhoseRequestIsRunning() async throws {
        let coordinator = try openCoordinator()
        let gate = Gate()
        let started = Counter()
        let running = Task {
            try await coordinator.perform(key: "k", fingerprint: "fp") {
                started.increment()
                await gate.wait()
                return reply("done")
            }
        }
        let isRunning = await eventually { started.current == 1 }
        XCTAssertTrue(isRunning)
        XCTAssertTrue(coordinator.isInFlight(key: "k"))
        await assertThrowsAsync(IdempotencyError.keyInFlight(key: "k")) { () async throws(IdempotencyError) in
            try await coordinator.forget(key: "k")
        }
        gate.open()
        _ = try await running.value
        let forgotten = try await coordinator.forget(key: "k")
        XCTAssertTrue(forgotten)
    }

    /// A response stored before a restart is replayed by a new coordinator on the same file.
    func testAResponseIsReplayedAfterARestart() async throws {
        do {
            let store = try IdempotencyStore(path: storePath)
            let coordinator = try IdempotencyCoordinator(store: store)
            let outcome = try await coordinator.perform(key: "k", fingerprint: "fp") { reply("before") }
            XCTAssertEqual(outcome, .fresh(reply("before")))
            try store.close()
        }
        let restarted = try openCoordinator()
        let runs = Counter()
        let outcome = try await restarted.perform(key: "k", fingerprint: "fp") {
            runs.increment()
            return reply("after")
        }
        XCTAssertEqual(outcome, .replayed(reply("before")))
        XCTAssertEqual(runs.current, 0)
    }

    /// After the TTL the key is free: the same request runs again, and so may another.
    func testExpiredResponsesAreNotReplayed() async throws {
        let clock = ManualClock(1_000)
        let coordinator = try openCoordinator(ttl: 60, clock: { clock.now })
        let runs = Counter()
        let operation: @Sendable () async -> StoredResponse = { reply("run-\(runs.increment())") }
        let first = try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation)
        clock.advance(by: 60)
        let withinTTL = try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation)
        clock.advance(by: 1)
        let afterTTL = try await coordinator.perform(key: "k", fingerprint: "fp", operation: operation)
        XCTAssertEqual([first, withinTTL, afterTTL], [.fresh(reply("run-1")), .replayed(reply("run-1")), .fresh(reply("run-2"))])
        clock.advance(by: 61)
        let otherRequest = try await coordinator.perform(key: "k", fingerprint: "fp-other", operation: operation)
        XCTAssertEqual(otherRequest, .fresh(reply("run-3")))
        XCTAssertEqual(try coordinator.store.count(), 1)
    }

    /// Each save keeps the bound (oldest out); `prune(now:)` drops what expired.
    func testSavesKeepTheBoundAndPruneDropsExpiredEntries() async throws {
        let clock = ManualClock(1_000)
        let coordinator = try openCoordinator(ttl: 100, maxEntries: 3, clock: { clock.now })
        for index in 0..<5 {
            clock.advance(by: 1)
            _ = try await coordinator.perform(key: "k\(index)", fingerprint: "fp") { reply("\(index)") }
        }
        XCTAssertEqual(try coordinator.store.count(), 3)
        XCTAssertNil(try coordinator.store.lookup(key: "k1", now: clock.now))
        XCTAssertNotNil(try coordinator.store.lookup(key: "k2", now: clock.now))
        let nothingExpired = try await coordinator.prune()
        XCTAssertEqual(nothingExpired, 0)
        clock.advance(by: 99.5)  // now 1,104.5: k2 (1,003) and k3 (1,004) expire; k4 (1,005) does not
        let pruned = try await coordinator.prune()
        XCTAssertEqual(pruned, 2)
        XCTAssertEqual(try coordinator.store.count(), 1)
    }

    /// Requests with different keys do not wait for each other.
    func testDifferentKeysRunConcurrently() async throws {
        let coordinator = try openCoordinator()
        let gate = Gate()
        let started = Counter()
        let tasks = (0..<3).map { index in
            Task {
                try await coordinator.perform(key: "k\(index)", fingerprint: "fp") {
                    started.increment()
                    await gate.wait()
                    return reply("\(index)")
                }
            }
        }
        let allStarted = await eventually { started.current == 3 }
        XCTAssertTrue(allStarted, "\(started.current) of 3 started")
        gate.open()
        for (index, task) in tasks.enumerated() {
            let outcome = try await task.value
            XCTAssertEqual(outcome, .fresh(reply("\(index)")))
        }
    }
}
