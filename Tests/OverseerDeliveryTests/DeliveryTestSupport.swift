import Foundation
import GRDB
import XCTest

@testable import OverseerDelivery

/// A test case with a fresh temporary directory, removed after each test.
class DeliveryStoreTestCase: XCTestCase {
    private(set) var directory = ""
    private var stores: [DeliveryStore] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("overseer-delivery-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        for store in stores {
            try? store.close()
        }
        stores = []
        try? FileManager.default.removeItem(atPath: directory)
        try super.tearDownWithError()
    }

    /// The default store path inside the test's directory.
    var storePath: String { directory + "/deliveries.sqlite" }

    /// Opens a store (closed again in tearDown if the test did not close it).
    func openStore(path: String? = nil, maximumAttempts: Int = DeliveryStore.defaultMaximumAttempts) throws -> DeliveryStore {
        let store = try DeliveryStore(path: path ?? storePath, maximumAttempts: maximumAttempts)
        stores.append(store)
        return store
    }

    /// A request with sensible defaults.
    func request(
        _ id: String, agent: String = "alpha", text: String? = nil, submit: Bool = true,
        interrupt: Bool = false, awaitNext: Bool = false
    ) -> NewDelivery {
        NewDelivery(
            id: id, agent: agent, text: text ?? "message \(id)", submit: submit,
            interrupt: interrupt, awaitNextIncarnation: awaitNext)
    }

    /// Queued counts as the triggers keep them, and as counted from the rows.
    func queueCounters(_ store: DeliveryStore) throws -> (kept: [String: Int], counted: [String: Int]) {
        try store.queue.read { db in
            var kept: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT agent, queued FROM agent_queue WHERE queued > 0") {
                kept[row["agent"]] = row["queued"]
            }
            var counted: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT agent, COUNT(*) AS n FROM delivery WHERE state = 'queued' GROUP BY agent") {
                counted[row["agent"]] = row["n"]
            }
            return (kept, counted)
        }
    }

    /// Rows in one of the store's tables.
    func rowCount(_ store: DeliveryStore, table: String) throws -> Int {
        try store.queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }
}
