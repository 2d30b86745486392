import Foundation
import OverseerTestSupport
import XCTest

@testable import OverseerIdempotency

#if canImport(Glibc)
import Glibc
#endif

/// A process SIGKILLed while saving responses and advancing a checkpoint loses nothing it had
/// acknowledged.
///
/// The test binary runs itself (`/proc/self/exe`, filtered to this one test) as the child.
/// With the environment variable set, the test body is the child: it performs keyed requests
/// through a coordinator as fast as it can, advances a checkpoint to each request's index, and
/// after both return appends the index to an acknowledgement file with a plain `write(2)`
/// (which survives the process's death: the page cache is the kernel's). The parent kills it
/// with SIGKILL once enough are acknowledged, reopens both stores, and checks that every
/// acknowledged response is there byte for byte and that the checkpoint covers them.
final class IdempotencyCrashTests: IdempotencyTestCase {
    static let childVariable = "OVERSEER_IDEMPOTENCY_CRASH_CHILD"
    static let acknowledgedBeforeKill = 200

    func testEverySaveAcknowledgedBeforeASIGKILLSurvivesReopening() async throws {
        if let spec = ProcessInfo.processInfo.environment[Self.childVariable] {
            // The child is killed before tearDown: drop its own unused directory now.
            try? FileManager.default.removeItem(atPath: directory)
            try await runChild(spec: spec)
            return
        }
        let ackPath = directory + "/acks.txt"
        let run = try KilledWriter.run(test: "\(String(reflecting: Self.self))/testEverySaveAcknowledgedBeforeASIGKILLSurvivesReopening", variable: Self.childVariable,
                                       spec: storePath + "\n" + ackPath, ackPath: ackPath, count: Self.acknowledgedBeforeKill)
        XCTAssertTrue(run.killedBySIGKILL)

        let acks = run.acknowledged
        XCTAssertGreaterThanOrEqual(acks.count, Self.acknowledgedBeforeKill)
        XCTAssertEqual(acks, (0..<acks.count).map(String.init), "acknowledged in order, none torn")

        let store = try openStore(ttl: 1_000_000)
        for index in acks {
            let entry = try XCTUnwrap(store.lookup(key: "crash-\(index)"), "acknowledged crash-\(index) is missing after the kill")
            XCTAssertEqual(entry.response, Self.response(index))
            XCTAssertEqual(entry.fingerprint, Self.fingerprint(index))
        }
        let stored = try store.count()
        XCTAssertTrue(stored == acks.count || stored == acks.count + 1,
                      "\(stored) stored for \(acks.count) acknowledged: at most the one in flight may be extra")
        XCTAssertEqual(stored, try rowCount(store.connection, table: "idempotency_response"))

        let checkpoints = try openCheckpoints()
        let last = try XCTUnwrap(checkpoints.lastIndex(agent: "crash", generation: 1))
        XCTAssertTrue(last == Int64(acks.count - 1) || last == Int64(acks.count),
                      "checkpoint \(last) for \(acks.count) acknowledged")

        // A retry of an acknowledged request after the restart is replayed, not run again.
        let coordinator = try IdempotencyCoordinator(store: store)
        let replay = try await coordinator.perform(key: "crash-0", fingerprint: Self.fingerprint("0")) {
            StoredResponse(status: 500)
        }
        XCTAssertEqual(replay, .replayed(Self.response("0")))
    }

    static func response(_ index: String) -> StoredResponse {
        StoredResponse(status: 201, contentType: "application/json", body: Array("{\"index\":\(index),\"pad\":\"\(String(repeating: "p", count: 200))\"}".utf8))
    }

    static func fingerprint(_ index: String) -> String {
        RequestFingerprint(method: "POST", path: "/v1/agents/crash/deliveries", body: Array(index.utf8)).hex
    }

    /// The child: perform, advance and acknowledge until killed (or for at most a minute).
    private func runChild(spec: String) async throws {
        let parts = spec.split(separator: "\n").map(String.init)
        guard parts.count == 2 else { return XCTFail("bad child spec \(spec)") }
        let coordinator = try IdempotencyCoordinator(path: parts[0], ttl: 1_000_000, maxEntries: 1_000_000)
        let checkpoints = try CheckpointStore(path: parts[0])
        let ack = try KilledWriter.AckFile(path: parts[1])
        let stop = Date().addingTimeInterval(60)
        var index = 0
        while Date() < stop {
            let text = String(index)
            let outcome = try await coordinator.perform(key: "crash-\(index)", fingerprint: Self.fingerprint(text)) {
                Self.response(text)
            }
            guard outcome == .fresh(Self.response(text)) else { return XCTFail("unexpected \(outcome)") }
            guard try checkpoints.advance(agent: "crash", generation: 1, index: Int64(index)) else {
                return XCTFail("index \(index) was taken for a replay")
            }
            guard ack.acknowledge(text) else { return XCTFail("ack write failed") }
            index += 1
        }
    }
}
