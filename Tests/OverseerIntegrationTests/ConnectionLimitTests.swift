import Foundation
import OverseerClient
import OverseerTestSupport
import OverseerWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Raw Unix-socket connections for tests that hold connections open (idle, or half-used).
enum RawConnection {
    /// A connected socket to `path` (blocking), or -1.
    static func open(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 { close(fd); return -1 }
        return fd
    }

    /// Whether the server has closed `fd` (end of file or reset), reading and discarding
    /// whatever it sent before; never blocks.
    static func isClosedByPeer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }
            if n == 0 { return true }
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
        }
    }

    /// Everything the server sends until it closes the connection (or `timeout` passes).
    static func readAll(_ fd: Int32, timeout: Double) -> String {
        read(fd, until: nil, timeout: timeout)
    }

    /// What the server sends until `needle` has arrived (nil: until it closes), or `timeout` passes.
    static func read(_ fd: Int32, until needle: String?, timeout: Double) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let needle, String(decoding: bytes, as: UTF8.self).contains(needle) { break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) >= 0 else { break }
            guard poller.revents != 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Sockets the process holds, from /proc (the server's own view of its connections).
    static func socketCount(of pid: Int32) -> Int {
        let directory = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { ((try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) ?? "").hasPrefix("socket:") }.count
    }
}

/// Raises this process's soft descriptor limit to at least `wanted` (the supervisor it
/// starts inherits it), within the hard limit.
func raiseDescriptorLimit(to wanted: UInt64) throws {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw TestFailure("getrlimit: \(errno)") }
    guard limit.rlim_cur < wanted else { return }
    guard limit.rlim_max >= wanted else { throw TestFailure("the hard RLIMIT_NOFILE \(limit.rlim_max) is below \(wanted)") }
    limit.rlim_cur = rlim_t(wanted)
    guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw TestFailure("setrlimit: \(errno)") }
}

final class IdleConnectionTests: SupervisorTestCase {
    override var supervisorEnvironment: [String: String] { ["OVERSEER_IDLE_TIMEOUT_SECONDS": "3"] }

    override func setUp() async throws {
        try raiseDescriptorLimit(to: 4_096)
        try await super.setUp()
    }

    /// 2,000 connections that never send a request: the server keeps no more than
    /// `max_connections` (default 1024) of them, a new client is served at once, and after
    /// the idle timeout the server has closed every one of them.
    func testIdleConnectionsNeitherStarveNewClientsNorStayOpen() async throws {
        let baseline = RawConnection.socketCount(of: supervisor.pid)
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        let opened = ContinuousClock.now
        for _ in 0..<2_000 {
            let fd = RawConnection.open(supervisor.socketPath)
            XCTAssertGreaterThanOrEqual(fd, 0, "connect: \(errno)")
            if fd >= 0 { fds.append(fd) }
        }
        XCTAssertEqual(fds.count, 2_000)
        // Served within the request's timeout, although 2,000 connections came first (how fast
        // is the bench's business, not a test's).
        let health = try await client.send(.get("/healthz"), timeout: .seconds(10)).decode(HealthResponse.self)
        XCTAssertEqual(health.status, "ok")
        XCTAssertLessThanOrEqual(RawConnection.socketCount(of: supervisor.pid), baseline + 1_024 + 8, "the server holds at most max_connections")
        // Opening took well under the timeout, so none of them is expired yet when checked here.
        if ContinuousClock.now - opened < .seconds(2) {
            XCTAssertGreaterThan(fds.filter { !RawConnection.isClosedByPeer($0) }.count, 900, "idle connections are kept until the timeout while there is room")
        }

        let allClosed = TestProcesses.waitUntil(timeout: 30, interval: 0.1) { fds.allSatisfy(RawConnection.isClosedByPeer) }
        XCTAssertTrue(allClosed, "\(fds.filter { !RawConnection.isClosedByPeer($0) }.count) idle connections still open after the timeout")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - opened, .seconds(2.5), "not closed before the idle timeout")
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { RawConnection.socketCount(of: self.supervisor.pid) <= baseline + 2 }, "the server's sockets: \(RawConnection.socketCount(of: supervisor.pid)), baseline \(baseline)")
    }

    /// A keep-alive connection is closed once idle for the timeout after its response; an
    /// SSE stream and a long-poll read that stay quiet for longer are not.
    func testKeepAliveIsClosedButStreamsAndLongPollsAreNot() async throws {
        let fd = RawConnection.open(supervisor.socketPath)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let events = try await EventLog.open(client)
        defer { events.stop() }
        _ = try await spawn("quiet", ["sleep", "600"])

        let sent = ContinuousClock.now
        RawConnection.send(fd, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let client = self.client
        async let longPoll = client.send(.get("/v1/agents/quiet/output?cursor=0&wait=5"), timeout: .seconds(30))
        let answer = RawConnection.readAll(fd, timeout: 20)
        let closedAfter = ContinuousClock.now - sent
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertGreaterThanOrEqual(closedAfter, .seconds(2.5), "closed only after the idle timeout")
        XCTAssertLessThan(closedAfter, .seconds(15), "closed by the server after the idle timeout")

        let polled = try await longPoll
        XCTAssertEqual(polled.status, 200, polled.text)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - sent, .seconds(4.5), "the long poll ran its full wait")

        // The event stream has been quiet for longer than the timeout and still delivers.
        _ = try await release("quiet")
        let delivered = await events.wait(timeout: 20) { $0.contains { $0.type == .agentReleased && $0.agent == "quiet" } }
        XCTAssertTrue(delivered, "the SSE stream was closed while it was quiet")
    }
}

final class ConnectionCapTests: SupervisorTestCase {
    override var supervisorEnvironment: [String: String] { ["OVERSEER_MAX_CONNECTIONS": "4", "OVERSEER_IDLE_TIMEOUT_SECONDS": "60"] }

    /// With every connection busy (four SSE streams), one more is answered 503 and closed;
    /// once a stream ends, a new client is served again. Idle connections make room instead.
    func testBeyondTheCapABusyServerAnswers503() async throws {
        let baseline = RawConnection.socketCount(of: supervisor.pid)
        var streams: [EventLog] = []
        defer { streams.forEach { $0.stop() } }
        for _ in 0..<4 { streams.append(try await EventLog.open(client)) }

        let response = try await client.send(.get("/healthz"), timeout: .seconds(20))
        XCTAssertEqual(response.status, 503, response.text)
        XCTAssertEqual(errorBody(response).code, "too_many_connections")
        XCTAssertEqual(response.header("Connection")?.lowercased(), "close")

        streams.removeLast().stop()
        let served = await TestProcesses.waitUntilAsync(timeout: 20, interval: 0.1) {
            (try? await self.client.send(.get("/healthz"), timeout: .seconds(5)).status) == 200
        }
        XCTAssertTrue(served, "a slot freed by a closed stream serves a new client")

        // Three streams and one idle connection: a new client takes the idle one's place.
        // One request answered on it proves the server took it; from then on it is an idle
        // keep-alive connection.
        let idle = RawConnection.open(supervisor.socketPath)
        defer { close(idle) }
        RawConnection.send(idle, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let first = RawConnection.read(idle, until: "\"status\"", timeout: 20)
        XCTAssertTrue(first.hasPrefix("HTTP/1.1 200"), "the server served the soon idle connection: \(first)")
        let second = try await client.send(.get("/healthz"), timeout: .seconds(20))
        XCTAssertEqual(second.status, 200, second.text)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) { RawConnection.isClosedByPeer(idle) }, "the idle connection was closed to make room")
    }
}
