import Foundation
import GRDB
import OverseerTestSupport
import XCTest

@testable import OverseerDelivery

final class DeliveryStorePersistenceTests: DeliveryStoreTestCase {
    func testReopeningAfterCloseKeepsEveryDeliveryStateAndHistory() throws {
        let store = try openStore()
        _ = try store.enqueue(request("q1", awaitNext: true), now: 1)
        _ = try store.enqueue(request("q2", agent: "beta"), now: 2)
        _ = try store.enqueue(request("v1"), now: 3)
        try store.markInjecting(id: "v1", incarnation: "inc-7", now: 4)
        try store.markInjected(id: "v1", now: 5)
        try store.markVerified(id: "v1", verification: .echo, now: 6)
        let before = try ["q1", "q2", "v1"].map { try XCTUnwrap(store.delivery(id: $0)) }
        try store.close()

        let reopened = try openStore()
        let after = try ["q1", "q2", "v1"].map { try XCTUnwrap(reopened.delivery(id: $0)) }
        XCTAssertEqual(after, before)
        XCTAssertEqual(try reopened.pending(agent: "alpha").map(\.id), ["q1"])
        XCTAssertEqual(try reopened.pendingCount(), 2)
        XCTAssertEqual(try reopened.recoverInterrupted(), [])
        let next = try reopened.enqueue(request("q3"), now: 7)
        XCTAssertGreaterThan(next.delivery.sequence, before.map(\.sequence).max() ?? 0)
        XCTAssertEqual(next.position, 2)
    }

    func testADeliveryLeftInjectingIsUnverifiedAfterRestartAndNeverQueuedAgain() throws {
        let store = try openStore()
        for id in ["d1", "d2", "d3", "d4"] {
            _ = try store.enqueue(request(id), now: 1)
        }
        try store.markInjecting(id: "d1", incarnation: "inc-1", now: 2)
        try store.markInjecting(id: "d2", incarnation: "inc-1", now: 2)
        try store.markInjected(id: "d2", now: 3)
        try store.markFailed(id: "d4", reason: "test", now: 3)
        try store.close()

        let reopened = try openStore()
        let recovered = try reopened.recoverInterrupted(now: 10)
        XCTAssertEqual(recovered.map(\.id), ["d1", "d2"])
        XCTAssertEqual(recovered.map(\.reason), ["interrupted", "interrupted before verification"])
        let d1 = try XCTUnwrap(reopened.delivery(id: "d1"))
        XCTAssertEqual(d1.state, .unverified)
        XCTAssertEqual(d1.reason, "interrupted")
        XCTAssertEqual(d1.incarnation, "inc-1")
        XCTAssertEqual(d1.attempts, 0)
        XCTAssertEqual(d1.history?.last, DeliveryHistoryEntry(event: "unverified", at: 10, reason: "interrupted"))
        XCTAssertEqual(try reopened.delivery(id: "d2")?.state, .unverified)
        XCTAssertEqual(try reopened.delivery(id: "d4")?.state, .failed)
        XCTAssertEqual(try reopened.pending(agent: "alpha").map(\.id), ["d3"], "never queued again")
        XCTAssertEqual(try reopened.recoverInterrupted(now: 11), [])
    }

    func testTheDatabaseIsWALWithFullSyncAndOwnerOnlyFiles() throws {
        let store = try openStore()
        _ = try store.enqueue(request("d1"))
        let (journal, synchronous, foreignKeys) = try store.queue.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        XCTAssertEqual(journal, "wal")
        XCTAssertEqual(synchronous, 2, "synchronous=FULL")
        XCTAssertEqual(foreignKeys, 1)
        for suffix in ["", "-wal", "-shm"] {
            XCTAssertEqual(try permissions(storePath + suffix), 0o600, "mode of \(suffix.isEmpty ? "database" : suffix)")
        }
    }

    func testAnExistingFileReadableByOthersIsRestrictedToTheOwner() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: storePath, contents: nil, attributes: [.posixPermissions: 0o644]))
        XCTAssertEqual(try permissions(storePath), 0o644)
        _ = try openStore()
        XCTAssertEqual(try permissions(storePath), 0o600)
    }

    func testAFileThatIsNotADatabaseIsReportedByPathAndLeftUntouched() throws {
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: storePath))
        do {
            _ = try DeliveryStore(path: storePath)
            XCTFail("opened a garbage file")
        } catch {
            guard case .corruptDatabase(let path, _) = error else {
                return XCTFail("expected corruptDatabase, got \(error)")
            }
            XCTAssertEqual(path, storePath)
            XCTAssertTrue(error.description.contains(storePath), error.description)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: storePath)), garbage)
    }

    func testADamagedDatabaseIsReportedByPathAndLeftUntouched() throws {
        let store = try openStore()
        for index in 0..<400 {
            _ = try store.enqueue(request("m\(index)", text: String(repeating: "payload \(index) ", count: 20)), cap: 1000)
        }
        try store.close()
        let url = URL(fileURLWithPath: storePath)
        var bytes = try Data(contentsOf: url)
        XCTAssertGreaterThan(bytes.count, 16 * 4096)
        for offset in stride(from: 3 * 4096, to: bytes.count - 4096, by: 4096) {
            bytes.replaceSubrange(offset + 16..<offset + 64, with: Data(repeating: 0xA5, count: 48))
        }
        try bytes.write(to: url)
        do {
            _ = try DeliveryStore(path: storePath)
            XCTFail("opened a damaged database")
        } catch {
            guard case .corruptDatabase(let path, _) = error else {
                return XCTFail("expected corruptDatabase, got \(error)")
            }
            XCTAssertEqual(path, storePath)
        }
        XCTAssertEqual(try Data(contentsOf: url), bytes)
    }

    func testAPathThatCannotBeOpenedIsReportedByPath() throws {
        let missing = directory + "/no-such-directory/deliveries.sqlite"
        for path in [directory, missing] {
            do {
                _ = try DeliveryStore(path: path)
                XCTFail("opened \(path)")
            } catch {
                guard case .cannotOpen(let reported, _) = error else {
                    return XCTFail("expected cannotOpen for \(path), got \(error)")
                }
                XCTAssertEqual(reported, path)
                XCTAssertTrue(error.description.contains(path), error.description)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
    }

    func testAStoreRefusesAnAttemptLimitBelowOne() {
        assertThrows(DeliveryError.invalidArgument(name: "maximumAttempts", reason: "must be at least 1, got 0")) { () throws(DeliveryError) in
            try DeliveryStore(path: storePath, maximumAttempts: 0)
        }
    }

    func testAClosedStoreReportsErrorsInsteadOfCrashing() throws {
        let store = try openStore()
        try store.close()
        do {
            _ = try store.enqueue(request("d1"))
            XCTFail("a closed store accepted a delivery")
        } catch {
            guard case .database(let path, _, _) = error else {
                return XCTFail("expected a database error, got \(error)")
            }
            XCTAssertEqual(path, storePath)
        }
    }

    private func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try XCTUnwrap(attributes[.posixPermissions] as? Int)
    }
}
