import Foundation
import XCTest

@testable import OverseerIdempotency

/// A request whose process died before it answered is never run again: its effect is unknown.
final class IdempotencyInterruptedTests: IdempotencyTestCase {
    func testARunStartedByADeadInstanceIsReportedInterruptedNotRunAgain() async throws {
        let store = try openStore()
        try store.markStarted(key: "k", fingerprint: "fp", instance: "a-dead-process")
        let coordinator = try IdempotencyCoordinator(store: store)
        let runs = Counter()

        do {
            _ = try await coordinator.perform(key: "k", fingerprint: "fp") { runs.increment(); return reply("x") }
            XCTFail("expected interrupted")
        } catch .interrupted(let key, _) {
            XCTAssertEqual(key, "k")
        }
        do {
            _ = try await coordinator.perform(key: "k", fingerprint: "other") { runs.increment(); return reply("x") }
            XCTFail("expected keyReused")
        } catch .keyReused {}
        XCTAssertEqual(runs.current, 0, "an interrupted request never runs again")

        // The client checked the state and acknowledges the key: it may be used afresh.
        let forgotten = try await coordinator.forget(key: "k")
        XCTAssertTrue(forgotten)
        let outcome = try await coordinator.perform(key: "k", fingerprint: "fp") { runs.increment(); return reply("again", status: 201) }
        XCTAssertEqual(outcome, .fresh(reply("again", status: 201)))
        XCTAssertEqual(runs.current, 1)
        XCTAssertNil(try store.started(key: "k"), "a stored answer clears the started marker")
    }

    func testAServerErrorClearsTheMarkerSoTheRetryRuns() async throws {
        let coordinator = try openCoordinator()
        let first = try await coordinator.perform(key: "k", fingerprint: "fp") { reply("boom", status: 500) }
        XCTAssertEqual(first.response.status, 500)
        XCTAssertNil(try coordinator.store.started(key: "k"))
        let second = try await coordinator.perform(key: "k", fingerprint: "fp") { reply("ok", status: 201) }
        XCTAssertEqual(second, .fresh(reply("ok", status: 201)))
    }

    func testStartedMarkersExpireWithTheTTL() throws {
        let store = try openStore(ttl: 10)
        try store.markStarted(key: "old", fingerprint: "fp", instance: "gone", now: 1_000)
        XCTAssertNotNil(try store.started(key: "old", now: 1_005))
        XCTAssertNil(try store.started(key: "old", now: 1_011), "older than the TTL: forgotten")
        try store.prune(now: 1_011, ttl: 10, maxEntries: 10)
        try store.markStarted(key: "old", fingerprint: "fp2", instance: "gone", now: 1_011)
        XCTAssertEqual(try store.started(key: "old", now: 1_011)?.fingerprint, "fp2")
    }
}
