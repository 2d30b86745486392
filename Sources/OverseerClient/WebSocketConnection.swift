import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A message received on a WebSocket.
public enum WebSocketMessage: Sendable, Equatable {
    case binary([UInt8])
    case text(String)
    /// The peer closed the connection (always the last message), with its close code and reason.
    case closed(code: Int?, reason: String)
}

/// The sending half of a WebSocket connection (client side: every frame is masked).
public struct WebSocketWriter: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    let socketPath: String
    /// Set once a close frame went out: the handshake needs only one from each side.
    let closeSent = CloseSent()

    final class CloseSent: Sendable {
        let value = Atomic(false)
    }

    /// Sends `bytes` as one binary message.
    public func send(binary bytes: [UInt8]) async throws(ClientError) {
        try await write(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: bytes)))
    }

    /// Sends `text` as one text message.
    public func send(text: String) async throws(ClientError) {
        try await write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    /// Starts the closing handshake: the peer answers with its own close frame, which ends the messages.
    public func close(reason: String = "") async throws(ClientError) {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        data.writeString(reason)
        try await sendClose(data)
    }

    func sendClose(_ data: ByteBuffer) async throws(ClientError) {
        guard !closeSent.value.exchange(true, ordering: .relaxed) else { return }
        try await write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
    }

    func write(_ frame: WebSocketFrame) async throws(ClientError) {
        do {
            try await outbound.write(frame)
        } catch {
            throw ClientError(mapping: error, socketPath: socketPath)
        }
    }
}

/// The receiving half: data messages (fragments joined) until the peer closes. Pings are
/// answered as they arrive.
public struct WebSocketMessages: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage
    public typealias Failure = ClientError

    let inbound: NIOAsyncChannelInboundStream<WebSocketFrame>
    let writer: WebSocketWriter

    public struct AsyncIterator: AsyncIteratorProtocol {
        var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
        let writer: WebSocketWriter
        var finished = false

        public typealias Failure = ClientError

        public mutating func next() async throws(ClientError) -> WebSocketMessage? {
            guard !finished else { return nil }
            var message: (opcode: WebSocketOpcode, bytes: [UInt8])?
            while true {
                let next: WebSocketFrame?
                do {
                    next = try await frames.next()
                } catch {
                    finished = true
                    throw ClientError(mapping: error, socketPath: writer.socketPath)
                }
                guard let frame = next else {
                    finished = true
                    return .closed(code: nil, reason: "the connection ended without a close frame")
                }
                var data = frame.unmaskedData
                switch frame.opcode {
                case .ping:
                    try await writer.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: data))
                case .pong:
                    break
                case .connectionClose:
                    finished = true
                    let code = data.readWebSocketErrorCode().map { Int(UInt16(webSocketErrorCode: $0)) }
                    let reason = data.readString(length: data.readableBytes) ?? ""
                    // Answer the peer's close (the handshake's second half); it may already be gone.
                    try? await writer.sendClose(frame.unmaskedData)
                    return .closed(code: code, reason: reason)
                case .binary, .text:
                    message = (frame.opcode, Array(data.readableBytesView))
                case .continuation:
                    message?.bytes += data.readableBytesView
                default:
                    throw ClientError.protocolError("unexpected WebSocket opcode \(frame.opcode)")
                }
                if frame.fin, let complete = message, frame.opcode == .binary || frame.opcode == .text || frame.opcode == .continuation {
                    return complete.opcode == .text ? .text(String(decoding: complete.bytes, as: UTF8.self)) : .binary(complete.bytes)
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(frames: inbound.makeAsyncIterator(), writer: writer)
    }
}

extension UnixHTTPClient {
    /// Opens a WebSocket at `path` (an HTTP/1.1 upgrade on a connection of its own), runs `body`
    /// with its messages and writer, and closes the connection when `body` returns.
    ///
    /// - Throws: a `ClientError` (`.protocolError` when the supervisor answered without upgrading).
    public func withWebSocket<T: Sendable>(
        _ path: String, connectTimeout: Duration = .seconds(10),
        _ body: (WebSocketMessages, WebSocketWriter) async throws -> T
    ) async throws(ClientError) -> T {
        let socketPath = self.socketPath
        let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
        do {
            let upgrade = try await ClientBootstrap(group: eventLoopGroup.next())
                .connectTimeout(TimeAmount(connectTimeout))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture { try Self.configureUpgrade(channel, path: path) }
                }
            guard let upgraded = try await upgrade.get() else {
                throw ClientError.protocolError("the supervisor answered \(path) without upgrading to a WebSocket")
            }
            channel = upgraded
        } catch {
            throw ClientError(mapping: error, socketPath: socketPath)
        }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                let writer = WebSocketWriter(outbound: outbound, socketPath: socketPath)
                return try await body(WebSocketMessages(inbound: inbound, writer: writer), writer)
            }
        } catch {
            throw ClientError(mapping: error, socketPath: socketPath)
        }
    }

    /// The HTTP client pipeline with a WebSocket upgrader; the future gives the upgraded
    /// channel, or nil when the server answered the request without upgrading.
    static func configureUpgrade(_ channel: any Channel, path: String) throws -> EventLoopFuture<NIOAsyncChannel<WebSocketFrame, WebSocketFrame>?> {
        let upgrader = NIOTypedWebSocketClientUpgrader<NIOAsyncChannel<WebSocketFrame, WebSocketFrame>?>(
            maxFrameSize: 1 << 20,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                }
            }
        )
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost")
        let upgrade = NIOTypedHTTPClientUpgradeConfiguration<NIOAsyncChannel<WebSocketFrame, WebSocketFrame>?>(
            upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers),
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(nil) }
        )
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade)
        configuration.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
    }
}
