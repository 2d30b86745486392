import Foundation
import NIOCore
import NIOPosix
import OverseerTestSupport
import XCTest

@testable import OverseerClient

#if canImport(Glibc)
import Glibc
#endif

/// Connecting where no supervisor listens: missing, stale and forbidden sockets.
final class ConnectionFailureTests: XCTestCase {
    /// Runs `body` with a fresh temp directory and a client event loop; always removes both.
    func withTempDirectory(_ body: (String, any EventLoopGroup) async throws -> Void) async throws {
        let directory = try TestServer.makeTempDirectory()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(directory, group)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            try await group.shutdownGracefully()
            throw error
        }
        try FileManager.default.removeItem(atPath: directory)
        try await group.shutdownGracefully()
    }

    func testMissingSocketIsSocketMissing() async throws {
        try await withTempDirectory { directory, group in
            let path = directory + "/absent.sock"
            let client = UnixHTTPClient(socketPath: path, eventLoopGroup: group)
            await assertThrowsAsync(ClientError.socketMissing(path)) { _ = try await client.send(.get("/agents")) }
            await assertThrowsAsync(ClientError.socketMissing(path)) { _ = try await client.stream(.get("/events")) }
            XCTAssertEqual(
                ClientError.socketMissing(path).description,
                "no supervisor socket at \(path) — is `overseer serve` running?"
            )
        }
    }

    func testSocketWithNoListenerIsConnectionRefused() async throws {
        try await withTempDirectory { directory, group in
            let path = directory + "/stale.sock"
            try TestSockets.makeStale(at: path)
            var info = stat()
            XCTAssertEqual(stat(path, &info), 0, "stale socket file was not created")
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
            let client = UnixHTTPClient(socketPath: path, eventLoopGroup: group)
            await assertThrowsAsync(ClientError.connectionRefused(path)) { _ = try await client.send(.get("/agents")) }
            await assertThrowsAsync(ClientError.connectionRefused(path)) {
                _ = try await client.send(.get("/agents"), timeout: .seconds(2))
            }
        }
    }

    func testUnreadableSocketDirectoryIsPermissionDenied() async throws {
        guard geteuid() != 0 else { throw XCTSkip("root ignores directory permissions") }
        try await withTempDirectory { directory, group in
            let locked = directory + "/locked"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
            try TestSockets.makeStale(at: locked + "/s.sock")
            XCTAssertEqual(chmod(locked, 0), 0)
            defer { chmod(locked, 0o700) }
            let client = UnixHTTPClient(socketPath: locked + "/s.sock", eventLoopGroup: group)
            await assertThrowsAsync(ClientError.permissionDenied(locked + "/s.sock")) { _ = try await client.send(.get("/")) }
        }
    }

    func testOverlongSocketPathIsReported() async throws {
        try await withTempDirectory { directory, group in
            let path = directory + "/" + String(repeating: "x", count: 200)
            let client = UnixHTTPClient(socketPath: path, eventLoopGroup: group)
            do {
                _ = try await client.send(.get("/"))
                XCTFail("connected to an impossible path")
            } catch {
                guard case .protocolError(let message) = error as? ClientError else { return XCTFail("got \(error)") }
                XCTAssertTrue(message.contains("too long"), message)
            }
        }
    }

    func testSupervisorClientDoesNotRetryAMissingSocket() async throws {
        try await withTempDirectory { directory, _ in
            let path = directory + "/absent.sock"
            var client = SupervisorClient(socketPath: path)
            let notices = NoticeLog()
            client.onWaiting = { path, window in notices.add("\(path) \(window)") }
            let configured = client
            let started = ContinuousClock.now
            for call in [{ _ = try await configured.agents() }, { _ = try await configured.release("w") }] as [@Sendable () async throws -> Void] {
                do {
                    try await call()
                    XCTFail("reached a supervisor that does not exist")
                } catch let error as SupervisorCallError {
                    guard case .unreachable(.socketMissing(path)) = error else { return XCTFail("got \(error)") }
                }
            }
            XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(500), "retried a socket that does not exist")
            XCTAssertEqual(notices.lines, [])
        }
    }

    func testSupervisorClientRetriesARefusingSocketForItsWindowAndNoticesOnce() async throws {
        try await withTempDirectory { directory, _ in
            let path = directory + "/stale.sock"
            try TestSockets.makeStale(at: path)
            var client = SupervisorClient(socketPath: path)
            client.retryWindow = .milliseconds(1600)
            let notices = NoticeLog()
            client.onWaiting = { path, window in notices.add("\(path) \(window)") }
            let configured = client
            for call in [{ _ = try await configured.agents() }, { _ = try await configured.release("w") }] as [@Sendable () async throws -> Void] {
                let started = ContinuousClock.now
                do {
                    try await call()
                    XCTFail("a stale socket answered")
                } catch let error as SupervisorCallError {
                    guard case .unreachable(.connectionRefused(path)) = error else { return XCTFail("got \(error)") }
                }
                let elapsed = ContinuousClock.now - started
                XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1600), "gave up before the window")
                XCTAssertLessThan(elapsed, .milliseconds(4000), "retried past the window")
            }
            XCTAssertEqual(notices.lines, ["\(path) 1.6 seconds", "\(path) 1.6 seconds"], "one notice per call")
        }
    }
}

/// Lines recorded by a `@Sendable` callback.
final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    func add(_ line: String) { lock.withLock { recorded.append(line) } }
    var lines: [String] { lock.withLock { recorded } }
}
