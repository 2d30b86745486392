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
        let status2 = TestProcesses.reap(supervisor.pid, timeout: 20)
        XCTAssertEqual(status2, 0, "clean exit after SIGTERM")
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
