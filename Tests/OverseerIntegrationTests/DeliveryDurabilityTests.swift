import Foundation
import OverseerWire
import OverseerClient
import OverseerDelivery
import OverseerSupervisor
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Deliveries across a graceful restart and a `kill -9`, and an agent that never reads.
final class DeliveryDurabilityTests: DeliveryTestCase {
    func testSIGTERMWithAHundredPendingThenRestartDeliversEachExactlyOnce() async throws {
        let file = supervisor.directory + "/graceful.log"
        _ = try await spawn("worker", lineLogger(file), submitDelayMs: 0)
        for index in 0..<100 {
            let posted = try await post("worker", id: "g\(index)", text: "graceful line \(index)")
            XCTAssertEqual(posted.status, 202, posted.text)
        }
        try restartSupervisor()
        let pending = try await client.send(.get("/v1/agents/worker/deliveries")).decode(DeliveryList.self)
        XCTAssertGreaterThan(pending.deliveries.count, 50, "the pending set survived the restart")
        _ = try await spawn("worker", lineLogger(file), submitDelayMs: 0)
        for index in 0..<100 {
            let final = try await verdict("g\(index)", timeout: 60)
            XCTAssertEqual(final.state, .verified, "\(final)")
        }
        let written = lines(of: file)
        XCTAssertEqual(written.count, 100, "every message exactly once")
        XCTAssertEqual(Set(written), Set((0..<100).map { "graceful line \($0)" }))
    }

    func testSIGKILLInTheMiddleOfAThousandDeliveriesLosesNoneAndTypesNoneTwice() async throws {
        let agents = (0..<10).map { "k\($0)" }
        for agent in agents { _ = try await spawn(agent, lineLogger(supervisor.directory + "/\(agent).log"), submitDelayMs: 0) }
        let acknowledged = AckLog()
        let client = self.client
        let posters = agents.map { agent in
            Task {
                for index in 0..<100 {
                    let id = "\(agent)-\(index)"
                    let body = #"{"id": "\#(id)", "text": "kill line \#(id)"}"#
                    let request = ClientRequest(.post, "/v1/agents/\(agent)/messages", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
                    guard let response = try? await client.send(request, timeout: .seconds(10)), response.status == 202 else { return }
                    await acknowledged.add(id)
                }
            }
        }
        for poster in posters { await poster.value }
        let acked = await acknowledged.ids
        XCTAssertEqual(acked.count, 1000, "every post was acknowledged before the kill")
        // Kill in the middle of the typing: some delivered, most still queued, some in flight.
        let midway = await TestProcesses.waitUntilAsync(timeout: 60, interval: 0.02) {
            let metrics = (try? await client.send(.get("/metrics")).text) ?? ""
            let prefix = #"overseer_deliveries_total{event="verified"} "#
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }
            return (line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0) >= 300
        }
        XCTAssertTrue(midway)
        supervisor.kill9()

        let restartedAt = Date().timeIntervalSince1970
        do {
            try restartSupervisor()
            for agent in agents { _ = try await spawn(agent, lineLogger(supervisor.directory + "/\(agent).log"), submitDelayMs: 0) }
        } catch {
            XCTFail("restart failed: \(error)\n\(supervisor.log_().suffix(3000))")
            throw error
        }
        var interrupted = 0
        var typedAfterRestart = 0
        for id in acked {
            let final = try await verdict(id, timeout: 90)
            switch final.state {
            case .verified:
                XCTAssertEqual(final.verification, .screen, "verified means submitted, seen on the screen")
                if (final.injectedAt ?? 0) > restartedAt { typedAfterRestart += 1 }
            case .unverified:
                XCTAssertTrue(final.reason?.hasPrefix("interrupted") ?? false, "only the ambiguous ones may be unverified: \(final)")
                interrupted += 1
            default: XCTFail("acknowledged delivery \(id) ended \(final.state): \(final)")
            }
        }
        XCTAssertLessThanOrEqual(interrupted, agents.count, "at most one in flight per agent")
        XCTAssertGreaterThan(typedAfterRestart, 0, "the restart had pending deliveries to type")
        print("SIGKILL test: \(acked.count) acknowledged, \(typedAfterRestart) typed after the restart, \(interrupted) interrupted (unverified)")
        for agent in agents {
            let written = lines(of: supervisor.directory + "/\(agent).log")
            XCTAssertEqual(written.count, Set(written).count, "\(agent): a line was typed twice")
        }
    }

    func testAnAgentThatNeverReadsGetsRetriesThenFailureWhileOthersAreServed() async throws {
        _ = try await spawn("deaf", ["sleep", "600"])
        _ = try await spawn("ear", ["cat"])
        // The first message, 300 short lines, fills the PTY's input buffer part way and cannot
        // finish (a single long line would not: the line discipline drops what exceeds a line).
        let big = (0..<300).map { "line \($0) " + String(repeating: "z", count: 90) }.joined(separator: "\n")
        _ = try await post("deaf", id: "deaf-big", text: big)
        _ = try await post("deaf", id: "deaf-next", text: "never typed")
        let first = try await verdict("deaf-big", timeout: 20)
        XCTAssertEqual(first.state, .failed)
        XCTAssertTrue(first.reason?.contains("input buffer full after") ?? false, "\(first.reason ?? "no reason")")

        // Meanwhile another agent is served and the API answers at once.
        for index in 0..<5 {
            let started = ContinuousClock.now
            _ = try await post("ear", id: "ear-\(index)", text: "still served \(index)")
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(1))
            let served = try await verdict("ear-\(index)")
            XCTAssertEqual(served.state, .verified)
        }
        let health = try await client.send(.get("/healthz"))
        XCTAssertEqual(health.status, 200)

        let next = try await verdict("deaf-next", timeout: 60)
        XCTAssertEqual(next.state, .failed)
        XCTAssertTrue(next.reason?.contains("gave up after 10") ?? false, "\(next)")
        XCTAssertEqual(next.history?.filter { $0.event == "retried" }.count, 9)
        XCTAssertEqual(next.attempts, 10)
    }
}

/// Ids the server acknowledged, collected from concurrent posters.
actor AckLog {
    private(set) var ids: [String] = []
    var count: Int { ids.count }
    func add(_ id: String) { ids.append(id) }
}
