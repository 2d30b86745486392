import Foundation
import NIOCore
import NIOPosix
import OverseerTestSupport
import XCTest

@testable import OverseerClient

/// End-to-end tests against `TestServer`, a real NIO HTTP server on a Unix socket.
final class UnixHTTPClientTests: XCTestCase {
    /// Runs `body` with a fresh server and a client on its own event loop; always cleans both up.
    func withServer(_ body: (TestServer, UnixHTTPClient) async throws -> Void) async throws {
        let server = try await TestServer()
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = UnixHTTPClient(socketPath: server.socketPath, eventLoopGroup: clientGroup)
        do {
            try await body(server, client)
        } catch {
            await server.shutdown()
            try await clientGroup.shutdownGracefully()
            throw error
        }
        await server.shutdown()
        try await clientGroup.shutdownGracefully()
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.directory))
    }

    func testJSONRoundTripWithContentLength() async throws {
        struct Spawn: Codable { var name: String; var argv: [String] }
        try await withServer { _, client in
            let request = try ClientRequest.json(.post, "/echo/agents?start=1", Spawn(name: "web", argv: ["sleep", "1"]))
            let response = try await client.send(request)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("CONTENT-LENGTH"), String(response.body.count))
            XCTAssertNil(response.header("transfer-encoding"))
            let echo = try response.decode(EchoReply.self)
            XCTAssertEqual(echo.method, "POST")
            XCTAssertEqual(echo.uri, "/echo/agents?start=1")
            XCTAssertEqual(echo.host, "localhost")
            XCTAssertEqual(echo.connection, "close")
            XCTAssertEqual(echo.contentLength, String(request.body.count))
            XCTAssertNil(echo.transferEncoding)
            let sent = try JSONDecoder().decode(Spawn.self, from: Data(echo.body.utf8))
            XCTAssertEqual(sent.name, "web")
            XCTAssertEqual(sent.argv, ["sleep", "1"])
        }
    }

    func testGetSendsNoBodyFraming() async throws {
        try await withServer { _, client in
            let echo = try await client.send(.get("/echo")).decode(EchoReply.self)
            XCTAssertEqual(echo, EchoReply(method: "GET", uri: "/echo", body: "", host: "localhost", connection: "close"))
        }
    }

    func testChunkedResponseIsReassembled() async throws {
        try await withServer { _, client in
            let response = try await client.send(.get("/chunked"))
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("Transfer-Encoding"), "chunked")
            XCTAssertNil(response.header("Content-Length"))
            XCTAssertEqual(response.text, "alpha-beta-gamma")
        }
    }

    func testTwoMegabyteBodiesArriveIntact() async throws {
        try await withServer { _, client in
            let plain = try await client.send(.get("/big"))
            XCTAssertEqual(plain.header("content-length"), String(TestServer.bigBody.count))
            XCTAssertEqual(plain.body.count, 2 * 1024 * 1024)
            XCTAssertTrue(plain.body == TestServer.bigBody, "Content-Length body differs")

            let chunked = try await client.send(.get("/big?chunked=1"))
            XCTAssertEqual(chunked.header("transfer-encoding"), "chunked")
            XCTAssertEqual(chunked.body.count, 2 * 1024 * 1024)
            XCTAssertTrue(chunked.body == TestServer.bigBody, "chunked body differs")
        }
    }

    static let expectedEvents = [
        SSEEvent(event: "greeting", data: "hello", id: "1"),
        SSEEvent(event: nil, data: "line one\nline two", id: "1"),
        SSEEvent(event: "third", data: #"{"n":3}"#, id: "1"),
    ]

    func testStreamYieldsSSEEventsInOrderAndEnds() async throws {
        try await withServer { server, client in
            let stream = try await client.stream(.get("/sse?end=1"))
            XCTAssertEqual(stream.status, 200)
            XCTAssertEqual(stream.header("content-type"), "text/event-stream")
            var chunks: [[UInt8]] = []
            for try await chunk in stream { chunks.append(chunk) }
            // The server wrote four pieces 30 ms apart; they must arrive as they were written.
            XCTAssertGreaterThanOrEqual(chunks.count, 4, "body was not streamed incrementally")
            XCTAssertTrue(chunks.contains { String(decoding: $0, as: UTF8.self).hasSuffix("data: li") })
            var parser = SSEParser()
            XCTAssertEqual(chunks.flatMap { parser.feed($0) }, Self.expectedEvents)
            let closed = await server.events.wait { $0.closedRoutes.contains("/sse?end=1") }
            XCTAssertTrue(closed, "server never saw the finished stream's connection close")
        }
    }

    func testCancellingStreamConsumerClosesConnection() async throws {
        try await withServer { server, client in
            let (progress, progressContinuation) = AsyncStream<Int>.makeStream()
            let consumer = Task {
                var received: [SSEEvent] = []
                let stream = try await client.stream(.get("/sse"))
                for try await event in stream.events {
                    received.append(event)
                    progressContinuation.yield(received.count)
                }
                return received
            }
            for await count in progress where count == 3 { break }
            XCTAssertFalse(server.events.closedRoutes.contains("/sse"), "the server closed on its own")
            consumer.cancel()
            let closed = await server.events.wait(timeout: .seconds(3)) { $0.closedRoutes.contains("/sse") }
            XCTAssertTrue(closed, "server did not see channelInactive after the consumer was cancelled")
            _ = await consumer.result
        }
    }

    func testBreakingOutOfStreamClosesConnection() async throws {
        try await withServer { server, client in
            func firstThree() async throws -> [SSEEvent] {
                var events: [SSEEvent] = []
                for try await event in try await client.stream(.get("/sse")).events {
                    events.append(event)
                    if events.count == 3 { break }
                }
                return events
            }
            let events = try await firstThree()
            XCTAssertEqual(events, Self.expectedEvents)
            let closed = await server.events.wait(timeout: .seconds(3)) { $0.closedRoutes.contains("/sse") }
            XCTAssertTrue(closed, "server did not see channelInactive after the stream was dropped")
        }
    }

    func testStreamOfErrorStatusCanBeCollected() async throws {
        try await withServer { _, client in
            let stream = try await client.stream(.get("/missing"))
            XCTAssertEqual(stream.status, 404)
            let response = try await stream.collect()
            struct Failure: Decodable { var error: String }
            XCTAssertEqual(try response.decode(Failure.self).error, "no such agent")
        }
    }

    func testDecodeFailureIsProtocolError() async throws {
        try await withServer { _, client in
            let response = try await client.send(.get("/chunked"))
            XCTAssertThrowsError(try response.decode([Int].self)) { error in
                guard case .protocolError(let message) = error as? ClientError else {
                    return XCTFail("expected protocolError, got \(error)")
                }
                XCTAssertTrue(message.contains("alpha-beta-gamma"), message)
            }
        }
    }

    func testTimeoutClosesConnection() async throws {
        try await withServer { server, client in
            let start = ContinuousClock.now
            await assertThrowsAsync(ClientError.timeout) {
                _ = try await client.send(.get("/hang"), timeout: .milliseconds(200))
            }
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
            let closed = await server.events.wait { $0.closedRoutes.contains("/hang") }
            XCTAssertTrue(closed, "timed-out connection was left open")
        }
    }

    func testCancellingSendThrowsCancelled() async throws {
        try await withServer { server, client in
            let task = Task { try await client.send(.get("/hang")) }
            let started = await server.events.wait { $0.servedRoutes.contains("/hang") }
            XCTAssertTrue(started, "request never reached the server")
            task.cancel()
            let result = await task.result
            guard case .failure(let error) = result else { return XCTFail("send succeeded after cancel") }
            XCTAssertEqual(error as? ClientError, .cancelled)
            let closed = await server.events.wait { $0.closedRoutes.contains("/hang") }
            XCTAssertTrue(closed, "cancelled connection was left open")
        }
    }

    func testServerClosingWithoutAnswerIsConnectionReset() async throws {
        try await withServer { _, client in
            await assertThrowsAsync(ClientError.connectionReset) { _ = try await client.send(.get("/drop")) }
            await assertThrowsAsync(ClientError.connectionReset) { _ = try await client.stream(.get("/drop")) }
        }
    }
}
