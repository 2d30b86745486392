import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client for the supervisor's API on a Unix domain socket.
///
/// Every request uses its own connection (`Connection: close`), so the client holds no state
/// and may be shared freely. NIOHTTP1 does all HTTP parsing (Content-Length, chunked and
/// close-delimited bodies).
public struct UnixHTTPClient: Sendable {
    /// The Unix domain socket the supervisor listens on.
    public let socketPath: String
    /// The event loops connections run on.
    public let eventLoopGroup: any EventLoopGroup

    public init(socketPath: String, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.socketPath = socketPath
        self.eventLoopGroup = eventLoopGroup
    }

    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// Sends `request` and collects the whole response.
    ///
    /// - Parameter timeout: a limit on the whole exchange (connect, send, receive); `nil` waits forever.
    /// - Throws: a `ClientError`; non-2xx statuses are not errors, check `ClientResponse.status`.
    public func send(_ request: ClientRequest, timeout: Duration? = nil) async throws(ClientError) -> ClientResponse {
        do {
            guard let timeout else {
                return try await perform(request, connectTimeout: nil)
            }
            return try await withThrowingTaskGroup(of: ClientResponse.self) { group in
                group.addTask { try await self.perform(request, connectTimeout: timeout) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw ClientError.timeout
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw ClientError.timeout }
                return first
            }
        } catch {
            if Task.isCancelled { throw .cancelled }
            throw ClientError(mapping: error, socketPath: socketPath)
        }
    }

    /// One exchange on a fresh connection; cancelling the calling task closes the socket.
    private func perform(_ request: ClientRequest, connectTimeout: Duration?) async throws -> ClientResponse {
        let connection = try await connect(on: eventLoopGroup.next(), connectTimeout: connectTimeout)
        return try await withTaskCancellationHandler {
            try await connection.executeThenClose { inbound, outbound in
                try await Self.write(request, to: outbound)
                var collector = ResponseCollector()
                for try await part in inbound {
                    if let response = collector.consume(part) { return response }
                }
                throw ClientError.connectionReset
            }
        } onCancel: {
            connection.channel.close(promise: nil)
        }
    }

    /// Opens a connection with the HTTP client handlers and wraps it for async use.
    func connect(on eventLoop: any EventLoop, connectTimeout: Duration?) async throws -> Connection {
        var bootstrap = ClientBootstrap(group: eventLoop)
        if let connectTimeout {
            bootstrap = bootstrap.connectTimeout(TimeAmount(connectTimeout))
        }
        return try await bootstrap.connect(unixDomainSocketPath: socketPath) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try Connection(wrappingChannelSynchronously: channel)
            }
        }
    }

    /// Writes head, body and end, adding `Host`, `Connection: close` and `Content-Length`.
    static func write(
        _ request: ClientRequest,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) async throws {
        try await outbound.write(contentsOf: requestParts(request))
    }

    /// The parts that make up `request` on the wire.
    static func requestParts(_ request: ClientRequest) -> [HTTPClientRequestPart] {
        var headers = HTTPHeaders(request.headers)
        if !headers.contains(name: "Host") {
            headers.add(name: "Host", value: "localhost")
        }
        headers.replaceOrAdd(name: "Connection", value: "close")
        headers.remove(name: "Transfer-Encoding")
        let bodyless: Set<ClientRequest.Method> = [.get, .head, .delete, "OPTIONS", "TRACE", "CONNECT"]
        if !request.body.isEmpty || !bodyless.contains(request.method) {
            headers.replaceOrAdd(name: "Content-Length", value: String(request.body.count))
        } else {
            headers.remove(name: "Content-Length")
        }
        let head = HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: request.method.rawValue),
            uri: request.path,
            headers: headers
        )
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if !request.body.isEmpty {
            parts.append(.body(.byteBuffer(ByteBuffer(bytes: request.body))))
        }
        parts.append(.end(nil))
        return parts
    }
}

/// Accumulates response parts until `.end`.
struct ResponseCollector {
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    /// Returns the finished response on `.end`, otherwise nil.
    mutating func consume(_ part: HTTPClientResponsePart) -> ClientResponse? {
        switch part {
        case .head(let head):
            self.head = head
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return nil }
            return ClientResponse(
                status: Int(head.status.code),
                reason: head.status.reasonPhrase,
                headers: head.headers.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView)
            )
        }
        return nil
    }
}
