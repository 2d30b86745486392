import Foundation
import OverseerTestSupport
import XCTest

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 { throw TestFailure("bind \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// The messages waiting now, without blocking.
    func receiveWaiting() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { return messages }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
    }

    /// Messages received until `stop` returns true for one of them, or the timeout passes.
    func receive(timeout: Double, until stop: (String) -> Bool) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { continue }
            let message = String(decoding: buffer[0..<n], as: UTF8.self)
            messages.append(message)
            if stop(message) { break }
        }
        return messages
    }
}

final class SystemdNotifyTests: XCTestCase {
    func testReadyStatusWatchdogAndStopping() async throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        let notify = try NotifySocket(path: directory + "/notify")
        let supervisor = try SupervisorProcess(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        defer { supervisor.stop(); supervisor.removeFiles() }

        let startup = notify.receive(timeout: 10) { $0.contains("READY=1") }
        let ready = try XCTUnwrap(startup.first { $0.contains("READY=1") })
        XCTAssertTrue(ready.contains("STATUS=0 agents running"), ready)

        let pings = notify.receive(timeout: 5) { $0 == "WATCHDOG=1" }
        XCTAssertTrue(pings.contains("WATCHDOG=1"), "watchdog pings at half of WATCHDOG_USEC: \(pings)")

        let response = try await supervisor.client.send(try .json(.post, "/v1/agents", ["name": "n1", "argv": ["sleep", "600"]] as [String: AnyCodable]))
        XCTAssertEqual(response.status, 201, response.text)
        let status = notify.receive(timeout: 5) { $0.contains("STATUS=1 agent running") }
        XCTAssertTrue(status.contains { $0.contains("STATUS=1 agent running") }, "\(status)")

        kill(supervisor.pid, SIGTERM)
        let stopping = notify.receive(timeout: 10) { $0.contains("STOPPING=1") }
        XCTAssertTrue(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        // systemd keeps reading while the service stops; so does this test.
        var exitStatus: Int32?
        _ = TestProcesses.waitUntil(timeout: 20, interval: 0.05) {
            _ = notify.receiveWaiting()
            exitStatus = TestProcesses.reap(supervisor.pid, timeout: 0)
            return exitStatus != nil
        }
        XCTAssertEqual(exitStatus, 0, "clean exit after SIGTERM; log:\n\(supervisor.log_())")
    }

    /// A service manager that stops reading (its queue holds about ten datagrams) must not
    /// wedge the supervisor: with libsystemd's blocking send, the eleventh watchdog ping
    /// blocked forever and SIGTERM never finished.
    func testANotifySocketNobodyReadsDoesNotWedgeTheSupervisor() async throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        let notify = try NotifySocket(path: directory + "/notify")
        let supervisor = try SupervisorProcess(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "20000"])
        defer { supervisor.stop(); supervisor.removeFiles() }
        // A ping every 10 ms: wait until far more than a full queue's worth were due.
        let start = Date()
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 30, interval: 0.1) { Date().timeIntervalSince(start) > 2 && supervisor.log_().contains("watchdog enabled") })
        let health = try await supervisor.client.send(.get("/healthz"))
        XCTAssertEqual(health.status, 200, "the API still answers with the notify queue full")
        kill(supervisor.pid, SIGTERM)
        let status = TestProcesses.reap(supervisor.pid, timeout: 20)
        XCTAssertEqual(status, 0, "clean exit after SIGTERM with nobody reading; log:\n\(supervisor.log_())")
        // What did arrive is whole: READY=1 among pings (which may start before it).
        let queued = notify.receiveWaiting()
        XCTAssertTrue(queued.contains { $0.hasPrefix("READY=1\nSTATUS=") }, "\(queued)")
        XCTAssertTrue(queued.allSatisfy { $0 == "WATCHDOG=1" || $0.hasPrefix("READY=1\n") || $0.hasPrefix("STATUS=") || $0.hasPrefix("STOPPING=1\n") }, "\(queued)")
    }

    func testNoWatchdogPingsWithoutWatchdogUsec() throws {
        let directory = TestProcesses.temporaryDirectory()
        defer { TestProcesses.removeDirectory(directory) }
        let notify = try NotifySocket(path: directory + "/notify")
        let supervisor = try SupervisorProcess(environment: ["NOTIFY_SOCKET": notify.path])
        defer { supervisor.stop(); supervisor.removeFiles() }
        let messages = notify.receive(timeout: 1.5) { _ in false }
        XCTAssertTrue(messages.contains { $0.contains("READY=1") })
        XCTAssertFalse(messages.contains("WATCHDOG=1"))
    }
}

/// Minimal heterogeneous JSON values for request bodies in tests.
enum AnyCodable: Encodable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    case string(String)
    case array([String])

    init(stringLiteral value: String) { self = .string(value) }
    init(arrayLiteral elements: String...) { self = .array(elements) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        }
    }
}
