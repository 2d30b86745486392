import Foundation
import GRDB
import OverseerTestSupport
import XCTest

@testable import OverseerIdempotency

final class IdempotencyStoreTests: IdempotencyTestCase {
    func testSaveThenLookupReturnsTheEntryByteForByte() throws {
        let store = try openStore()
        let body: [UInt8] = [0, 1, 2, 0xff, 0xfe] + Array("tail".utf8)
        let response = StoredResponse(status: 201, contentType: "application/octet-stream", body: body)
        try store.save(key: "k1", fingerprint: "fp1", response: response, createdAt: 990, now: 1_000)
        let entry = try XCTUnwrap(store.lookup(key: "k1", now: 1_001))
        XCTAssertEqual(entry, IdempotencyStore.Entry(key: "k1", fingerprint: "fp1", response: response, createdAt: 990, completedAt: 1_000))
        XCTAssertNil(try store.lookup(key: "k2", now: 1_001))
        try store.save(key: "k2", fingerprint: "fp2", response: StoredResponse(status: 204), now: 1_000)
        XCTAssertEqual(try store.lookup(key: "k2", now: 1_000)?.response, StoredResponse(status: 204, contentType: nil, body: []))
        XCTAssertEqual(try store.lookup(key: "k2", now: 1_000)?.createdAt, 1_000)
        XCTAssertEqual(try store.count(), 2)
    }

    func testSavingAnExistingKeyReplacesItsEntryAndKeepsTheCount() throws {
        let store = try openStore()
        try store.save(key: "k", fingerprint: "old", response: reply("old"), now: 1_000)
        try store.save(key: "k", fingerprint: "new", response: reply("new", status: 202), now: 1_010)
        let entry = try XCTUnwrap(store.lookup(key: "k", now: 1_010))
        XCTAssertEqual(entry.fingerprint, "new")
        XCTAssertEqual(entry.response, reply("new", status: 202))
        XCTAssertEqual(entry.completedAt, 1_010)
        XCTAssertEqual(try store.count(), 1)
        XCTAssertEqual(try rowCount(store.connection, table: "idempotency_response"), 1)
    }

    /// An entry is returned up to and including `ttl` seconds after completion, never after.
    func testLookupIgnoresExpiredEntries() throws {
        let store = try openStore(ttl: 60)
        try store.save(key: "k", fingerprint: "fp", response: reply("k"), now: 1_000)
        XCTAssertNotNil(try store.lookup(key: "k", now: 1_060))
        XCTAssertNil(try store.lookup(key: "k", now: 1_060.001))
        XCTAssertEqual(try store.count(), 1, "expired but not yet pruned")
    }

    func testDeleteRemovesOnlyThatKeyAndReportsWhetherItExisted() throws {
        let store = try openStore()
        try store.save(key: "a", fingerprint: "fa", response: reply("a"), now: 1_000)
        try store.save(key: "b", fingerprint: "fb", response: reply("b"), now: 1_000)
        XCTAssertTrue(try store.delete(key: "a"))
        XCTAssertFalse(try store.delete(key: "a"))
        XCTAssertFalse(try store.delete(key: "never"))
        XCTAssertNil(try store.lookup(key: "a", now: 1_000))
        XCTAssertNotNil(try store.lookup(key: "b", now: 1_000))
        XCTAssertEqual(try store.count(), 1)
    }

    func testPruneDeletesExpiredEntriesOnly() throws {
        let store = try openStore(ttl: 100)
        try seed(store, count: 10, base: 1_000)  // completed at 1,000 … 1,009
        XCTAssertEqual(try store.prune(now: 1_105, ttl: 100, maxEntries: 100), 5)
        XCTAssertEqual(try store.count(), 5)
        XCTAssertNil(try store.lookup(key: "seed-4", now: 1_000))
        XCTAssertNotNil(try store.lookup(key: "seed-5", now: 1_105))
        XCTAssertEqual(try store.prune(now: 1_105, ttl: 100, maxEntries: 100), 0)
    }

    /// With 10,050 entries and a bound of 10,000, exactly the 50 oldest go.
    func testPruneByBoundDeletesTheOldestFirstAt10000Entries() throws {
        let store = try openStore(ttl: 1_000_000)
        try seed(store, count: 10_050, base: 1_000)
        XCTAssertEqual(try store.count(), 10_050)
        XCTAssertEqual(try store.prune(now: 20_000, ttl: 1_000_000, maxEntries: 10_000), 50)
        XCTAssertEqual(try store.count(), 10_000)
        XCTAssertEqual(try rowCount(store.connection, table: "idempotency_response"), 10_000)
        XCTAssertNil(try store.lookup(key: "seed-49", now: 20_000))
        XCTAssertNotNil(try store.lookup(key: "seed-50", now: 20_000))
        XCTAssertNotNil(try store.lookup(key: "seed-10049", now: 20_000))
        XCTAssertEqual(try store.prune(now: 20_000, ttl: 1_000_000, maxEntries: 10_000), 0)
    }

    /// Expired entries go first; the bound then applies to what is left.
    func testPruneRemovesExpiredBeforeApplyingTheBound() throws {
        let store = try openStore(ttl: 100)
        try seed(store, count: 20, base: 1_000)  // completed at 1,000 … 1,019
        XCTAssertEqual(try store.prune(now: 1_110, ttl: 100, maxEntries: 4), 16)
        let left = try store.connection.read("keys") { db in
            try String.fetchAll(db, sql: "SELECT key FROM idempotency_response ORDER BY completed_at")
        }
        XCTAssertEqual(left, ["seed-16", "seed-17", "seed-18", "seed-19"])
    }

    /// `save(pruningTo:)` keeps the bound after every save, dropping the oldest, and expires.
    func testSavePruningToKeepsTheBoundAndExpiresInTheSameTransaction() throws {
        let store = try openStore(ttl: 50)
        for index in 0..<5 {
            try store.save(key: "k\(index)", fingerprint: "f", response: reply("\(index)"), now: 1_000 + Double(index), pruningTo: 3)
        }
        XCTAssertEqual(try store.count(), 3)
        XCTAssertNil(try store.lookup(key: "k1", now: 1_004))
        XCTAssertNotNil(try store.lookup(key: "k2", now: 1_004))
        XCTAssertEqual(try store.save(key: "late", fingerprint: "f", response: reply("late"), now: 1_100, pruningTo: 3), 3)
        XCTAssertEqual(try store.count(), 1)
    }

    /// Counter row and rows agree after inserts, replacements, deletes and both prunes.
    func testTheKeptCountMatchesTheRows() throws {
        let store = try openStore(ttl: 100)
        try seed(store, count: 30, base: 1_000)
        try store.save(key: "seed-3", fingerprint: "again", response: reply("again"), now: 1_050)
        _ = try store.delete(key: "seed-4")
        _ = try store.prune(now: 1_105, ttl: 100, maxEntries: 20)
        XCTAssertEqual(try store.count(), try rowCount(store.connection, table: "idempotency_response"))
        XCTAssertEqual(try store.count(), 20)
    }

    func testEntriesSurviveReopening() throws {
        do {
            let store = try IdempotencyStore(path: storePath)
            try store.save(key: "before-restart", fingerprint: "fp", response: reply("r"), createdAt: 1, now: 2)
            try store.close()
        }
        let reopened = try openStore()
        let entry = try XCTUnwrap(reopened.lookup(key: "before-restart", now: 3))
        XCTAssertEqual(entry.response, reply("r"))
        XCTAssertEqual(entry.fingerprint, "fp")
        XCTAssertEqual(try reopened.count(), 1)
    }

    func testTheFileIsOwnerOnlyInWALModeWithFullSync() throws {
        let store = try openStore()
        try store.save(key: "k", fingerprint: "f", response: reply("k"), now: 1)
        for path in [storePath, storePath + "-wal", storePath + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, path)
        }
        let settings = try store.connection.read("settings") { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        XCTAssertEqual(settings.0, "wal")
        XCTAssertEqual(settings.1, 2)
    }

    func testAFileThatIsNotADatabaseIsReportedAndLeftUntouched() throws {
        let junk = Data(repeating: 0x42, count: 8_192)
        XCTAssertTrue(FileManager.default.createFile(atPath: storePath, contents: junk))
        assertThrows(IdempotencyError.corruptDatabase(path: storePath, message: "file is not a database")) { () throws(IdempotencyError) in
            try IdempotencyStore(path: storePath)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: storePath), junk)
    }

    func testInvalidArgumentsAreRejectedNamingTheArgument() throws {
        assertThrows(IdempotencyError.invalidArgument(name: "ttl", reason: "must be a positive number of seconds, got 0.0")) { () throws(IdempotencyError) in
            try IdempotencyStore(path: storePath, ttl: 0)
        }
        let store = try openStore()
        assertThrows(IdempotencyError.invalidArgument(name: "maxEntries", reason: "must be at least 1, got 0")) { () throws(IdempotencyError) in
            try store.prune(now: 1, ttl: 10, maxEntries: 0)
        }
        assertThrows(IdempotencyError.invalidKey(key: "", reason: "must not be empty")) { () throws(IdempotencyError) in
            try store.save(key: "", fingerprint: "f", response: reply("x"), now: 1)
        }
        XCTAssertEqual(try store.count(), 0)
    }

    func testAClosedStoreAnswersEveryCallWithAnErrorAndClosesOnce() throws {
        let store = try openStore()
        try store.save(key: "k", fingerprint: "f", response: reply("k"), now: 1)
        try store.close()
        try store.close()
        assertThrows(IdempotencyError.database(path: storePath, operation: "lookup", message: "the store is closed")) { () throws(IdempotencyError) in
            try store.lookup(key: "k", now: 1)
        }
        assertThrows(IdempotencyError.database(path: storePath, operation: "save", message: "the store is closed")) { () throws(IdempotencyError) in
            try store.save(key: "k2", fingerprint: "f", response: reply("k2"), now: 1)
        }
        XCTAssertNotNil(try openStore().lookup(key: "k", now: 1))
    }
}
