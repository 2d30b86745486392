import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore
import OverseerSupervisor
import OverseerWire

/// Context of the WebSocket router: Hummingbird's storage, the upgrade's handler slot, and the
/// connection's channel for the peer-credential check.
public struct AttachRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        webSocket = WebSocketHandlerReference()
        channel = source.channel
    }
}

/// `GET /v1/agents/{name}/attach[?cursor=N]`, upgraded to a WebSocket: a live terminal session
/// on one connection. Binary messages from the client are typed into the agent's PTY in the
/// order they arrive (at most once: no Idempotency-Key, nothing stored); a text message
/// `{"rows": R, "cols": C}` resizes it. Without `cursor`, the first bytes pushed are a repaint
/// of the agent's screen (rows, colours, modes, title, cursor: see `TerminalScreen.repaint`),
/// then its output from exactly the offset the repaint covers, as it arrives; with `cursor=N`,
/// the raw output from N on, no repaint. The server closes the session with a reason when
/// the terminal closes, the agent goes away or the client sends something invalid.
///
/// An upgrade is refused (HTTP 400) when the peer is not an allowed uid or the agent does not
/// exist: clients look the agent up first to report which.
public enum AttachRoutes {
    /// Output is sent in messages of at most this many bytes.
    static let chunkSize = 16 << 10

    /// The HTTP/1.1 server with WebSocket upgrades for these routes (all other requests go to
    /// the application's router as before), with the connection limits when given.
    public static func server(supervisor: any SupervisorFacade, maxInputBytes: Int, allowedUIDs: Set<UInt32> = [0, getuid()], limits: ConnectionLimits? = nil, descriptorLimit: Int = ConnectionLimits.softDescriptorLimit()) -> HTTPServerBuilder {
        let router = router(supervisor: supervisor, maxInputBytes: maxInputBytes, allowedUIDs: allowedUIDs)
        guard let limits else { return .http1WebSocketUpgrade(webSocketRouter: router) }
        return limits.server(webSocketRouter: router, descriptorLimit: descriptorLimit)
    }

    static func router(supervisor: any SupervisorFacade, maxInputBytes: Int, allowedUIDs: Set<UInt32>) -> Router<AttachRequestContext> {
        let router = Router(context: AttachRequestContext.self)
        router.ws("v1/agents/:name/attach") { request, context in
            guard let uid = try await PeerCredentialMiddleware.peerUID(context.channel), allowedUIDs.contains(uid) else { return .dontUpgrade }
            let name = try context.parameters.require("name")
            guard (try? await supervisor.readOutput(of: name, from: .max, limit: 0, wait: nil)) != nil else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let name = context.requestContext.parameters.get("name") else { return }
            let query = context.request.uri.queryParameters
            let start = query.get("cursor").flatMap { UInt64(String($0)) }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await pumpOutput(supervisor: supervisor, name: name, from: start, to: outbound) }
                await typeInput(supervisor: supervisor, name: name, maxInputBytes: maxInputBytes, from: inbound, closing: outbound)
                group.cancelAll()
            }
        }
        return router
    }

    /// Types each binary message into the agent and applies resizes, until the client leaves.
    static func typeInput(supervisor: any SupervisorFacade, name: String, maxInputBytes: Int, from inbound: WebSocketInboundStream, closing outbound: WebSocketOutboundWriter) async {
        do {
            for try await message in inbound.messages(maxSize: maxInputBytes) {
                switch message {
                case .binary(let buffer):
                    try await supervisor.writeInput(Array(buffer.readableBytesView), to: name)
                case .text(let text):
                    guard let size = try? JSONDecoder().decode(ResizeRequest.self, from: Data(text.utf8)) else {
                        try? await outbound.close(.policyViolation, reason: #"a text message must be {"rows": R, "cols": C}"#)
                        return
                    }
                    try await supervisor.resize(name, rows: size.rows, cols: size.cols)
                }
            }
        } catch let error as SupervisorError {
            try? await outbound.close(.policyViolation, reason: error.description)
        } catch {
            try? await outbound.close(.unexpectedServerError, reason: "\(error)")
        }
    }

    /// Sends the agent's output from `start` as it arrives (when nil: a repaint first, then the
    /// output after it); closes the session once the terminal has closed and everything was sent.
    ///
    /// After a repaint, output the ring dropped before it was sent (a client slower than the
    /// agent by more than the ring) is not skipped over: a fresh repaint, after a reset of the
    /// modes the old one may have set, takes its place, so the client's screen stays whole.
    static func pumpOutput(supervisor: any SupervisorFacade, name: String, from start: UInt64?, to outbound: WebSocketOutboundWriter) async {
        func send(_ bytes: [UInt8]) async -> Bool {
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + chunkSize, bytes.count)
                do {
                    try await outbound.write(.binary(ByteBuffer(bytes: bytes[offset..<end])))
                } catch {
                    return false // the connection is gone
                }
                offset = end
            }
            return true
        }
        do throws(SupervisorError) {
            var cursor: UInt64
            let repaints = start == nil
            if let start {
                cursor = start
            } else {
                let repaint = try await supervisor.screenRepaint(of: name)
                guard await send(repaint.bytes) else { return }
                cursor = repaint.next
            }
            while !Task.isCancelled {
                let chunk = try await supervisor.readOutput(of: name, from: cursor, limit: chunkSize, wait: nil)
                if repaints && chunk.dropped > 0 {
                    let repaint = try await supervisor.screenRepaint(of: name)
                    guard await send(ScreenRepaintSlice.modeReset + repaint.bytes) else { return }
                    cursor = repaint.next
                } else if !chunk.bytes.isEmpty {
                    guard await send(chunk.bytes) else { return }
                    cursor = chunk.next
                } else if chunk.closed {
                    try? await outbound.close(.normalClosure, reason: "the agent's terminal closed")
                    return
                } else {
                    _ = try await supervisor.readOutput(of: name, from: cursor, limit: 0, wait: .seconds(3600))
                }
            }
        } catch {
            try? await outbound.close(.goingAway, reason: error.description)
        }
    }
}
