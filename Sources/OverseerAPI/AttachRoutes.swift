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
/// `{"rows": R, "cols": C}` resizes it. The agent's output from `cursor` on (default: the end)
/// is pushed as binary messages as it arrives. The server closes the session with a reason when
/// the terminal closes, the agent goes away or the client sends something invalid.
///
/// An upgrade is refused (HTTP 400) when the peer is not an allowed uid or the agent does not
/// exist: clients look the agent up first to report which.
public enum AttachRoutes {
    /// Output is sent in messages of at most this many bytes.
    static let chunkSize = 16 << 10

    /// The HTTP/1.1 server with WebSocket upgrades for these routes (all other requests go to
    /// the application's router as before).
    public static func server(supervisor: any SupervisorFacade, maxInputBytes: Int, allowedUIDs: Set<UInt32> = [0, getuid()]) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(webSocketRouter: router(supervisor: supervisor, maxInputBytes: maxInputBytes, allowedUIDs: allowedUIDs))
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

    /// Sends the agent's output from `start` (the end when nil) as it arrives; closes the
    /// session once the terminal has closed and everything was sent.
    static func pumpOutput(supervisor: any SupervisorFacade, name: String, from start: UInt64?, to outbound: WebSocketOutboundWriter) async {
        do throws(SupervisorError) {
            var cursor: UInt64
            if let start {
                cursor = start
            } else {
                cursor = try await supervisor.readOutput(of: name, from: .max, limit: 0, wait: nil).next
            }
            while !Task.isCancelled {
                let chunk = try await supervisor.readOutput(of: name, from: cursor, limit: chunkSize, wait: nil)
                if !chunk.bytes.isEmpty {
                    do {
                        try await outbound.write(.binary(ByteBuffer(bytes: chunk.bytes)))
                    } catch {
                        return // the connection is gone
                    }
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
