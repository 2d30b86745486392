import Hummingbird
import NIOCore

/// Per-request context: Hummingbird's core storage plus the connection's channel, so the
/// peer-credential check can read SO_PEERCRED from the Unix socket.
public struct OverseerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }

    /// Bodies above this are refused before decoding (413); input has its own, smaller limit.
    public var maxUploadSize: Int { 4 << 20 }
}
