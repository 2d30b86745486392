import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What the test server's connections did, readable from tests.
final class ServerEvents: Sendable {
    private struct State {
        var routes: [ObjectIdentifier: String] = [:]
        var served: [String] = []
        var closed: [String] = []
    }
    private let state = Mutex(State())

    func served(_ channel: any Channel, _ uri: String) {
        state.withLock {
            $0.routes[ObjectIdentifier(channel)] = uri
            $0.served.append(uri)
        }
    }

    func inactive(_ channel: any Channel) {
        state.withLock { state in
            let route = state.routes.removeValue(forKey: ObjectIdentifier(channel)) ?? "(no request)"
            state.closed.append(route)
        }
    }

    /// URIs whose request heads have arrived.
    var servedRoutes: [String] { state.withLock { $0.served } }

    /// URIs whose connections have seen `channelInactive`.
    var closedRoutes: [String] { state.withLock { $0.closed } }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    func wait(timeout: Duration = .seconds(5), until condition: @Sendable (ServerEvents) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }
}

/// Records `channelInactive` for every server connection.
final class InactiveObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let events: ServerEvents
    init(events: ServerEvents) { self.events = events }

    func channelInactive(context: ChannelHandlerContext) {
        events.inactive(context.channel)
        context.fireChannelInactive()
    }
}

/// JSON the `/echo` route answers with.
struct EchoReply: Codable, Equatable {
    var method: String
    var uri: String
    var body: String
    var host: String?
    var connection: String?
    var contentLength: String?
    var transferEncoding: String?
}

/// A real NIO HTTP/1.1 server on a Unix socket in a fresh temp directory.
final class TestServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let directory: String
    let socketPath: String
    let events = ServerEvents()
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let acceptTask: Task<Void, Never>

    static let bigBody: [UInt8] = (0..<(2 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 % 251) }

    /// Makes a temp directory (short, for the 108-byte socket path limit).
    static func makeTempDirectory() throws -> String {
        var template = Array("/tmp/oc-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return String(cString: made)
    }

    init() async throws {
        directory = try Self.makeTempDirectory()
        socketPath = directory + "/overseer.sock"
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let events = self.events
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .bind(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(InactiveObserver(events: events))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await group.shutdownGracefully()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        channel = server.channel
        acceptTask = Task {
            try? await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await Self.handle(connection, events: events) }
                    }
                }
            }
        }
    }

    /// Stops accepting, ends open connections, shuts the event loop down and removes the directory.
    func shutdown() async {
        try? await channel.close()
        acceptTask.cancel()
        await acceptTask.value
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func handle(_ connection: Connection, events: ServerEvents) async {
        let channel = connection.channel
        // Writes go straight to the channel so each await ends only once the bytes reached the
        // socket: closing after the last one then never truncates a response.
        let write: @Sendable (HTTPServerResponsePart) async throws -> Void = { part in
            try await channel.writeAndFlush(part).get()
        }
        try? await connection.executeThenClose { inbound, _ in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    events.served(connection.channel, requestHead.uri)
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { return }
                    try await respond(to: head, body: body, write: write)
                    return
                }
            }
        }
    }

    private static func respond(
        to head: HTTPRequestHead,
        body: ByteBuffer,
        write: @Sendable (HTTPServerResponsePart) async throws -> Void
    ) async throws {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let query = head.uri.contains("?") ? String(head.uri.split(separator: "?", maxSplits: 1)[1]) : ""
        func send(_ status: HTTPResponseStatus, _ headers: [(String, String)], _ bytes: [UInt8]?) async throws {
            var all = HTTPHeaders(headers)
            if let bytes { all.add(name: "Content-Length", value: String(bytes.count)) }
            try await write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: all)))
            if let bytes { try await write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
        }
        func chunk(_ text: String) async throws {
            try await write(.body(.byteBuffer(ByteBuffer(string: text))))
        }

        switch path {
        case _ where path.hasPrefix("/echo"):
            let reply = EchoReply(
                method: head.method.rawValue,
                uri: head.uri,
                body: String(buffer: body),
                host: head.headers.first(name: "host"),
                connection: head.headers.first(name: "connection"),
                contentLength: head.headers.first(name: "content-length"),
                transferEncoding: head.headers.first(name: "transfer-encoding")
            )
            try await send(.ok, [("Content-Type", "application/json")], Array(try JSONEncoder().encode(reply)))
        case "/chunked":
            try await send(.ok, [("Content-Type", "text/plain")], nil)
            for piece in ["alpha-", "beta-", "gamma"] {
                try await chunk(piece)
                try await Task.sleep(for: .milliseconds(10))
            }
        case "/big":
            if query == "chunked=1" {
                try await send(.ok, [], nil)
                for start in stride(from: 0, to: bigBody.count, by: 65_536) {
                    let piece = bigBody[start..<min(start + 65_536, bigBody.count)]
                    try await write(.body(.byteBuffer(ByteBuffer(bytes: piece))))
                }
            } else {
                try await send(.ok, [("Content-Type", "application/octet-stream")], bigBody)
            }
        case "/sse":
            try await send(.ok, [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")], nil)
            let writes = [
                "event: greeting\ndata: hello\nid: 1\n\n",
                "data: line one\ndata: li",  // the second event is split mid-line
                "ne two\n\n: a comment\r\nevent: third\r\ndata: {\"n\":3}\r",
                "\n\r\n",
            ]
            for text in writes {
                try await chunk(text)
                try await Task.sleep(for: .milliseconds(30))
            }
            if query != "end=1" {
                // Stay open like a live event stream, bounded so the server always stops by itself.
                for _ in 0..<200 {
                    try await chunk(": ping\n")
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        case "/hang":
            try await Task.sleep(for: .seconds(10))
            try await send(.ok, [], Array("late".utf8))
        case "/drop":
            return  // close without answering
        case "/missing":
            try await send(.notFound, [("Content-Type", "application/json")], Array(#"{"error":"no such agent"}"#.utf8))
        default:
            try await send(.notFound, [], [])
        }
        try await write(.end(nil))
    }
}
