import Foundation
import OverseerTestSupport
import XCTest

@testable import OverseerDelivery

#if canImport(Glibc)
import Glibc
#endif

/// A writer SIGKILLed in the middle of enqueueing loses nothing it had acknowledged.
///
/// The test binary runs itself (`/proc/self/exe`, filtered to this one test) as the child.
/// With the environment variable set, the test body is the child: it enqueues deliveries as
/// fast as it can and, after each `enqueue` returns, appends the id to an acknowledgement file
/// with a plain `write(2)` (which survives the process's death: the page cache is the kernel's).
/// The parent kills it with SIGKILL once enough are acknowledged, reopens the store, and checks
/// that every acknowledged id is there.
final class DeliveryCrashConsistencyTests: DeliveryStoreTestCase {
    static let childVariable = "OVERSEER_DELIVERY_CRASH_CHILD"
    static let acknowledgedBeforeKill = 300

    func testEveryEnqueueAcknowledgedBeforeASIGKILLSurvivesReopening() throws {
        if let spec = ProcessInfo.processInfo.environment[Self.childVariable] {
            // The child is killed before tearDown: drop its own unused directory now.
            try? FileManager.default.removeItem(atPath: directory)
            try runChild(spec: spec)
            return
        }
        let ackPath = directory + "/acks.txt"
        let run = try KilledWriter.run(test: "\(String(reflecting: Self.self))/testEveryEnqueueAcknowledgedBeforeASIGKILLSurvivesReopening", variable: Self.childVariable,
                                       spec: storePath + "\n" + ackPath, ackPath: ackPath, count: Self.acknowledgedBeforeKill)
        XCTAssertTrue(run.killedBySIGKILL)

        let acks = run.acknowledged
        XCTAssertGreaterThanOrEqual(acks.count, Self.acknowledgedBeforeKill)
        XCTAssertEqual(acks, (0..<acks.count).map { "crash-\($0)" }, "acknowledged in order, none torn")

        let store = try openStore()
        XCTAssertEqual(try store.recoverInterrupted(), [])
        var previous: Int64 = 0
        for id in acks {
            let delivery = try XCTUnwrap(store.delivery(id: id), "acknowledged \(id) is missing after the kill")
            XCTAssertEqual(delivery.state, .queued)
            XCTAssertGreaterThan(delivery.sequence, previous)
            previous = delivery.sequence
        }
        let total = try store.pendingCount()
        XCTAssertTrue(total == acks.count || total == acks.count + 1,
                      "\(total) stored for \(acks.count) acknowledged: at most the one in flight may be extra")
        let counters = try queueCounters(store)
        XCTAssertEqual(counters.kept, counters.counted)
    }

    /// The child: enqueue and acknowledge until killed (or for at most a minute).
    private func runChild(spec: String) throws {
        let parts = spec.split(separator: "\n").map(String.init)
        guard parts.count == 2 else { return XCTFail("bad child spec \(spec)") }
        let store = try DeliveryStore(path: parts[0])
        let ack = try KilledWriter.AckFile(path: parts[1])
        let stop = Date().addingTimeInterval(60)
        var index = 0
        while Date() < stop {
            let id = "crash-\(index)"
            _ = try store.enqueue(NewDelivery(id: id, agent: "agent-\(index % 4)", text: "crash test \(index)"), cap: 1_000_000)
            guard ack.acknowledge(id) else { return XCTFail("ack write failed") }
            index += 1
        }
    }
}
