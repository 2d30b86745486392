import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import HTTPTypes
import NIOHTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How many connections the server holds and how long an idle one may stay.
///
/// Idle means no request in progress: a connection that has not sent a complete request head
/// within `idleTimeout` of connecting, or a keep-alive connection with no request for that
/// long, is closed. A request being answered (an SSE stream, a long-poll output read) and an
/// upgraded WebSocket (`attach`) are never idle. At `maxConnections` open at once, a new
/// connection takes the place of the longest-idle one; when none is idle it is answered
/// `503 too_many_connections` and closed, so clients cannot use up the supervisor's descriptors.
public struct ConnectionLimits: Sendable {
    public var idleTimeout: Duration
    public var maxConnections: Int

    public init(idleTimeout: Duration, maxConnections: Int) {
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    /// The soft `RLIMIT_NOFILE` of this process (Int.max when unlimited or unknown).
    public static func softDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return Int.max }
        return Int(clamping: limit.rlim_cur)
    }

    /// The cap actually applied: `maxConnections`, but never closer to the soft descriptor
    /// limit than `reserve` (agents' terminals, stores, transcripts need descriptors too).
    public func effectiveMaxConnections(descriptorLimit: Int, reserve: Int = 256) -> Int {
        max(1, min(maxConnections, descriptorLimit - reserve))
    }
}

/// The server's open connections and whether each is idle (no request in progress), shared
/// by its child channels. At the cap, a new connection takes the place of the longest-idle
/// one (which is closed); only when every connection is busy is the new one refused.
final class ConnectionRegistry: Sendable {
    enum Admission {
        case admitted
        /// Admitted in place of this idle connection, which the caller closes.
        case evicting(any Channel)
        case refused
    }

    private struct Entry {
        let channel: any Channel
        /// Since when it has had no request in progress (nil: busy).
        var idleSince: ContinuousClock.Instant?
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Admits `channel` (idle until its first request arrives), if there is room or an idle
    /// connection to make room.
    func admit(_ channel: any Channel) -> Admission {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            if entries.count < limit {
                entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: now)
                return .admitted
            }
            var oldest: (key: ObjectIdentifier, since: ContinuousClock.Instant)?
            for (key, entry) in entries {
                guard let since = entry.idleSince else { continue }
                if oldest.map({ since < $0.since }) ?? true { oldest = (key, since) }
            }
            guard let oldest, let evicted = entries.removeValue(forKey: oldest.key) else { return .refused }
            entries[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: now)
            return .evicting(evicted.channel)
        }
    }

    /// A request started (busy) or its response ended (idle).
    func mark(_ channel: any Channel, busy: Bool) {
        let now = ContinuousClock.now
        entries.withLock { $0[ObjectIdentifier(channel)]?.idleSince = busy ? nil : now }
    }

    func remove(_ channel: any Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { entries.withLock { $0.count } }
}

/// Wraps a child channel (HTTP/1.1 with WebSocket upgrades) with the connection cap and the
/// timeout for a connection's first request; keep-alive idleness after that is Hummingbird's
/// `HTTPConnectionStateHandler` (configured with the same timeout).
struct LimitedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    enum Value: ServerChildChannelValue {
        case served(Inner.Value)
        case refused(any Channel)

        var channel: any Channel {
            switch self {
            case .served(let value): value.channel
            case .refused(let channel): channel
            }
        }
    }

    let inner: Inner
    let idleTimeout: TimeAmount
    let registry: ConnectionRegistry

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let registry = self.registry
        let idleTimeout = self.idleTimeout
        switch registry.admit(channel) {
        case .refused:
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                try channel.pipeline.syncOperations.addHandler(RefusingHandler(limit: registry.limit, grace: min(idleTimeout, .seconds(5))))
                return .refused(channel)
            }
        case .evicting(let idle):
            logger.debug("closing the longest-idle connection to admit a new one")
            idle.close(promise: nil)
        case .admitted:
            break
        }
        channel.closeFuture.whenComplete { _ in registry.remove(channel) }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(FirstRequestTimeout(timeout: idleTimeout, registry: registry), position: .after(decoder.handler))
            return .served(value)
        }
    }

    func handle(value: Value, logger: Logger) async {
        switch value {
        case .served(let value):
            await inner.handle(value: value, logger: logger)
        case .refused(let channel):
            try? await channel.closeFuture.get()
        }
    }
}

/// Closes a connection whose first request head has not arrived within `timeout` (or when the
/// server quiesces before it does); once it has, marks the connection busy (an attach stays
/// so) and removes itself.
final class FirstRequestTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: TimeAmount
    private let registry: ConnectionRegistry
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, registry: ConnectionRegistry) {
        self.timeout = timeout
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let isHead: Bool
        if case .head = unwrapInboundIn(data) { isHead = true } else { isHead = false }
        context.fireChannelRead(data)
        if isHead {
            registry.mark(context.channel, busy: true)
            timer?.cancel()
            timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Answers a connection beyond the cap: once its request has been read (or after `grace`),
/// `503 too_many_connections` with `Connection: close`, then closes it.
final class RefusingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let limit: Int
    private let grace: TimeAmount
    private var timer: Scheduled<Void>?
    private var answered = false

    init(limit: Int, grace: TimeAmount) {
        self.limit = limit
        self.grace = grace
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: grace) { [self] in
            answer(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { answer(context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        timer?.cancel()
        timer = nil
        let body = #"{"error":{"code":"too_many_connections","message":"the supervisor already serves \#(limit) connections (max_connections); try again later"}}"#
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(buffer.readableBytes)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Retry-After", value: "1")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .serviceUnavailable, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Marks a plain HTTP connection busy while a request is in progress and idle after its
/// response has ended (so the longest-idle one can make room for a new connection).
final class ActivityHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let registry: ConnectionRegistry

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { registry.mark(context.channel, busy: true) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { registry.mark(context.channel, busy: false) }
        context.write(data, promise: promise)
    }
}

extension ConnectionLimits {
    /// The HTTP/1.1 server with WebSocket upgrades (`webSocketRouter`) and these limits.
    func server(webSocketRouter: Router<AttachRequestContext>, descriptorLimit: Int) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        let registry = ConnectionRegistry(limit: effectiveMaxConnections(descriptorLimit: descriptorLimit))
        let idleTimeout = TimeAmount(self.idleTimeout)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [ActivityHandler(registry: registry)], idleTimeout: idleTimeout)
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(http1: http1)
        return HTTPServerBuilder { responder in
            LimitedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                idleTimeout: idleTimeout, registry: registry
            )
        }
    }
}
