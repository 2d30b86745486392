import COverseerSys
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Admits only clients running as the supervisor's own user or root, by the kernel's word
/// (SO_PEERCRED on the Unix socket), whatever the socket file's mode.
public struct PeerCredentialMiddleware: RouterMiddleware {
    public typealias Context = OverseerRequestContext
    let allowedUIDs: Set<UInt32>

    public init(allowedUIDs: Set<UInt32> = [0, getuid()]) {
        self.allowedUIDs = allowedUIDs
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let channel = context.channel else { return try await next(request, context) }
        let uid = try await Self.peerUID(channel)
        guard let uid, allowedUIDs.contains(uid) else {
            throw APIError(.forbidden, code: "forbidden", "peer uid \(uid.map(String.init) ?? "unknown") may not use this supervisor (only uid \(allowedUIDs.sorted().map(String.init).joined(separator: " or ")))")
        }
        return try await next(request, context)
    }

    /// The peer's uid, or nil when the channel is not a Unix socket.
    static func peerUID(_ channel: any Channel) async throws -> UInt32? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let cred: ov_ucred = try await provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET),
            name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)
        ).get()
        return cred.uid
    }
}
