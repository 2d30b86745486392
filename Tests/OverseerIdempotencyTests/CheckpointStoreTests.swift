import Foundation
import OverseerTestSupport
import XCTest

@testable import OverseerIdempotency

final class CheckpointStoreTests: IdempotencyTestCase {
    func testAdvanceAcceptsHigherIndexesAndRejectsReplays() throws {
        let store = try openCheckpoints()
        XCTAssertNil(try store.lastIndex(agent: "alpha", generation: 1))
        XCTAssertTrue(try store.advance(agent: "alpha", generation: 1, index: 0, now: 10))
        XCTAssertFalse(try store.advance(agent: "alpha", generation: 1, index: 0, now: 11), "the same index is a replay")
        XCTAssertTrue(try store.advance(agent: "alpha", generation: 1, index: 5, now: 12), "gaps are accepted")
        XCTAssertFalse(try store.advance(agent: "alpha", generation: 1, index: 3, now: 13), "a lower index is a replay")
        XCTAssertEqual(try store.lastIndex(agent: "alpha", generation: 1), 5)
        XCTAssertEqual(try store.all(), [Checkpoint(agent: "alpha", generation: 1, lastIndex: 5, updatedAt: 12)])
    }

    func testEachAgentGenerationHasItsOwnStream() throws {
        let store = try openCheckpoints()
        XCTAssertTrue(try store.advance(agent: "alpha", generation: 1, index: 9, now: 1))
        XCTAssertTrue(try store.advance(agent: "alpha", generation: 2, index: 1, now: 2))
        XCTAssertTrue(try store.advance(agent: "beta", generation: 1, index: 1, now: 3))
        XCTAssertEqual(try store.all().map { "\($0.agent)/\($0.generation)=\($0.lastIndex)" }, ["alpha/1=9", "alpha/2=1", "beta/1=1"])
    }

    /// 40 threads advancing one stream to the same index at once: exactly one wins, in each
    /// of 5 rounds.
    func testConcurrentAdvancesToOneIndexAcceptItExactlyOnce() throws {
        let store = try openCheckpoints()
        for round in 1...5 {
            let accepted = Counter()
            let failed = Counter()
            DispatchQueue.concurrentPerform(iterations: 40) { _ in
                do {
                    if try store.advance(agent: "alpha", generation: 1, index: Int64(round), now: 1) { accepted.increment() }
                } catch {
                    failed.increment()
                }
            }
            XCTAssertEqual(accepted.current, 1, "round \(round)")
            XCTAssertEqual(failed.current, 0, "round \(round)")
            XCTAssertEqual(try store.lastIndex(agent: "alpha", generation: 1), Int64(round))
        }
    }

    func testMarkReleasedKeepsTheFirstReleaseTimeAndTheCheckpoint() throws {
        let store = try openCheckpoints()
        XCTAssertFalse(try store.markReleased(agent: "ghost", generation: 1, now: 5))
        _ = try store.advance(agent: "alpha", generation: 1, index: 4, now: 10)
        XCTAssertTrue(try store.markReleased(agent: "alpha", generation: 1, now: 20))
        XCTAssertTrue(try store.markReleased(agent: "alpha", generation: 1, now: 30))
        XCTAssertEqual(try store.all(), [Checkpoint(agent: "alpha", generation: 1, lastIndex: 4, releasedAt: 20, updatedAt: 30)])
        XCTAssertFalse(try store.advance(agent: "alpha", generation: 1, index: 4, now: 40), "a released stream still rejects replays")
    }

    func testAcknowledgeDeletesOneCheckpoint() throws {
        let store = try openCheckpoints()
        _ = try store.advance(agent: "alpha", generation: 1, index: 1, now: 1)
        _ = try store.advance(agent: "alpha", generation: 2, index: 1, now: 1)
        XCTAssertTrue(try store.acknowledge(agent: "alpha", generation: 1))
        XCTAssertFalse(try store.acknowledge(agent: "alpha", generation: 1))
        XCTAssertNil(try store.lastIndex(agent: "alpha", generation: 1))
        XCTAssertEqual(try store.lastIndex(agent: "alpha", generation: 2), 1)
        XCTAssertTrue(try store.advance(agent: "alpha", generation: 1, index: 0, now: 2), "an acknowledged stream starts over")
    }

    func testPruneReleasedReturnsAndDeletesOnlyReleasedOnesOlderThanTheCutoff() throws {
        let store = try openCheckpoints()
        _ = try store.advance(agent: "live", generation: 1, index: 1, now: 1)
        _ = try store.advance(agent: "old", generation: 1, index: 7, now: 1)
        _ = try store.advance(agent: "older", generation: 3, index: 2, now: 1)
        _ = try store.advance(agent: "recent", generation: 1, index: 1, now: 1)
        try store.markReleased(agent: "older", generation: 3, now: 50)
        try store.markReleased(agent: "old", generation: 1, now: 100)
        try store.markReleased(agent: "recent", generation: 1, now: 500)
        let pruned = try store.pruneReleased(olderThan: 200)
        XCTAssertEqual(pruned, [
            Checkpoint(agent: "older", generation: 3, lastIndex: 2, releasedAt: 50, updatedAt: 50),
            Checkpoint(agent: "old", generation: 1, lastIndex: 7, releasedAt: 100, updatedAt: 100),
        ])
        XCTAssertEqual(try store.all().map(\.agent), ["live", "recent"])
        XCTAssertEqual(try store.pruneReleased(olderThan: 200), [])
    }

    func testCheckpointsSurviveReopening() throws {
        do {
            let store = try CheckpointStore(path: storePath)
            _ = try store.advance(agent: "alpha", generation: 1, index: 41, now: 5)
            try store.markReleased(agent: "alpha", generation: 1, now: 6)
            _ = try store.advance(agent: "beta", generation: 2, index: 3, now: 7)
            try store.close()
        }
        let reopened = try openCheckpoints()
        XCTAssertEqual(try reopened.all(), [
            Checkpoint(agent: "alpha", generation: 1, lastIndex: 41, releasedAt: 6, updatedAt: 6),
            Checkpoint(agent: "beta", generation: 2, lastIndex: 3, updatedAt: 7),
        ])
        XCTAssertFalse(try reopened.advance(agent: "alpha", generation: 1, index: 41, now: 8))
        XCTAssertTrue(try reopened.advance(agent: "beta", generation: 2, index: 4, now: 8))
    }

    /// Responses and checkpoints can share one file, each store with its own connection.
    func testSharesAFileWithTheResponseStore() throws {
        let responses = try openStore()
        let checkpoints = try openCheckpoints()
        try responses.save(key: "k", fingerprint: "f", response: reply("k"), now: 1)
        XCTAssertTrue(try checkpoints.advance(agent: "alpha", generation: 1, index: 1, now: 1))
        XCTAssertEqual(try responses.count(), 1)
        XCTAssertEqual(try checkpoints.all().count, 1)
    }

    func testInvalidArgumentsAreRejected() throws {
        let store = try openCheckpoints()
        assertThrows(IdempotencyError.invalidArgument(name: "agent", reason: "must not be empty")) { () throws(IdempotencyError) in
            try store.advance(agent: "", generation: 1, index: 1)
        }
        assertThrows(IdempotencyError.invalidArgument(name: "generation", reason: "must not be negative, got -1")) { () throws(IdempotencyError) in
            try store.advance(agent: "a", generation: -1, index: 1)
        }
        assertThrows(IdempotencyError.invalidArgument(name: "index", reason: "must not be negative, got -2")) { () throws(IdempotencyError) in
            try store.advance(agent: "a", generation: 1, index: -2)
        }
        XCTAssertEqual(try store.all(), [])
    }
}
