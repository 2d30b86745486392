import Foundation
@testable import OverseerPTY
import OverseerTestSupport
import XCTest

final class OutputRingTests: XCTestCase {
    func testCursorReadsAcrossWrapAround() {
        let ring = OutputRing(capacity: 8)
        ring.append(Array("abcdef".utf8))
        XCTAssertEqual(ring.read(from: 0).bytes, Array("abcdef".utf8))
        ring.append(Array("ghijk".utf8)) // 11 bytes total; holds "defghijk"
        XCTAssertEqual(ring.end, 11)
        let chunk = ring.read(from: 0)
        XCTAssertEqual(String(decoding: chunk.bytes, as: UTF8.self), "defghijk")
        XCTAssertEqual(chunk.start, 3)
        XCTAssertEqual(chunk.dropped, 3)
        XCTAssertEqual(chunk.next, 11)
        XCTAssertEqual(String(decoding: ring.read(from: 9).bytes, as: UTF8.self), "jk")
        XCTAssertEqual(ring.read(from: 11).bytes, [])
        XCTAssertEqual(ring.read(from: 99).next, 11)
        XCTAssertEqual(String(decoding: ring.read(from: 4, limit: 3).bytes, as: UTF8.self), "efg")
        XCTAssertEqual(String(decoding: ring.tail(2).bytes, as: UTF8.self), "jk")
    }

    func testOversizedAppendKeepsTheNewestBytes() {
        let ring = OutputRing(capacity: 4)
        ring.append(Array("0123456789".utf8))
        XCTAssertEqual(String(decoding: ring.read(from: 0).bytes, as: UTF8.self), "6789")
        XCTAssertEqual(ring.end, 10)
    }

    func testWaitersWakeOnDataCloseAndTimeout() async {
        let ring = OutputRing(capacity: 64)
        let clock = ContinuousClock()
        var started = clock.now
        await ring.waitForData(after: 0, timeout: .milliseconds(100))
        XCTAssertGreaterThanOrEqual(clock.now - started, .milliseconds(90), "times out when nothing comes")

        started = clock.now
        async let waited: Void = ring.waitForData(after: 0, timeout: .seconds(10))
        await waitUntilParked(ring)
        ring.append(Array("x".utf8))
        await waited
        XCTAssertLessThan(clock.now - started, .seconds(5), "wakes on data")

        started = clock.now
        async let closed: Void = ring.waitForData(after: 1, timeout: .seconds(10))
        await waitUntilParked(ring)
        ring.close()
        await closed
        XCTAssertLessThan(clock.now - started, .seconds(5), "wakes on close")
        XCTAssertTrue(ring.read(from: 1).closed)
    }

    func testAWaiterCancelledBeforeItParksReturnsAtOnce() async {
        let ring = OutputRing(capacity: 64)
        let clock = ContinuousClock()
        let started = clock.now
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await ring.waitForData(after: 0, timeout: .seconds(10))
        }
        await waiter.value
        XCTAssertLessThan(clock.now - started, .seconds(5), "a cancelled waiter must not sit out its timeout")
        XCTAssertEqual(ring.state.withLock { $0.waiters.count }, 0)
    }

    /// Waits until a waiter is parked on the ring (registered, not yet woken).
    private func waitUntilParked(_ ring: OutputRing) async {
        let parked = await TestProcesses.waitUntilAsync(timeout: 5) { ring.state.withLock { $0.waiters.count } == 1 }
        XCTAssertTrue(parked, "the waiter never parked")
    }
}

final class TranscriptTests: XCTestCase {
    func testAppendsUpToTheCapThenStops() throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        let path = directory + "/t.log"
        let writer = try TranscriptWriter(path: path, maxBytes: 10)
        Array("hello ".utf8).withUnsafeBytes { writer.write($0) }
        XCTAssertFalse(writer.truncated)
        Array("world!!".utf8).withUnsafeBytes { writer.write($0) }
        XCTAssertTrue(writer.truncated)
        writer.close()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "hello worl")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        // Reopening appends (and counts what is there).
        let again = try TranscriptWriter(path: path, maxBytes: 12)
        Array("abc".utf8).withUnsafeBytes { again.write($0) }
        again.close()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "hello worlab")
    }
}
