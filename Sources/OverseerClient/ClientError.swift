import NIOCore
import NIOHTTP1
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a request to the supervisor failed, phrased for a person at a terminal.
public enum ClientError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing exists at the socket path (ENOENT/ENOTDIR on connect).
    case socketMissing(String)
    /// A socket file exists but nothing listens on it (ECONNREFUSED), or its backlog is full (EAGAIN).
    case connectionRefused(String)
    /// The socket or a directory on its path may not be opened by this user (EACCES/EPERM).
    case permissionDenied(String)
    /// The supervisor closed or reset the connection before the response was complete.
    case connectionReset
    /// No complete answer arrived within the caller's timeout.
    case timeout
    /// The calling task was cancelled.
    case cancelled
    /// Anything else: malformed HTTP, an undecodable body, an unexpected I/O error.
    case protocolError(String)

    public var description: String {
        switch self {
        case .socketMissing(let path):
            return "no supervisor socket at \(path) — is `overseer serve` running?"
        case .connectionRefused(let path):
            return "the supervisor socket at \(path) refused the connection — is `overseer serve` running? (the socket file may be stale)"
        case .permissionDenied(let path):
            return "permission denied opening the supervisor socket at \(path) — run as the supervisor's user or fix the socket's permissions"
        case .connectionReset:
            return "the supervisor closed the connection before answering completely"
        case .timeout:
            return "the supervisor did not answer in time"
        case .cancelled:
            return "the request was cancelled"
        case .protocolError(let message):
            return "protocol error talking to the supervisor: \(message)"
        }
    }

    /// True when trying again shortly may succeed: the socket exists but refuses (a supervisor
    /// starting, or a full backlog) or the supervisor is restarting (connection reset). A
    /// missing socket is not: no supervisor is there, and waiting for one only hides that.
    ///
    /// A reset can also happen after a request was processed, so only retry requests that are safe to repeat.
    public var isRetryable: Bool {
        switch self {
        case .connectionRefused, .connectionReset: return true
        case .socketMissing, .permissionDenied, .timeout, .cancelled, .protocolError: return false
        }
    }

    /// Maps any error thrown by NIO (or the Swift runtime) while talking to the socket at `socketPath`.
    public init(mapping error: any Error, socketPath: String) {
        switch error {
        case let error as ClientError:
            self = error
        case let error as IOError:
            self = ClientError(errno: error.errnoCode, socketPath: socketPath, context: "\(error)")
        case let error as ChannelError:
            switch error {
            case .connectTimeout: self = .timeout
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof: self = .connectionReset
            default: self = .protocolError("channel error: \(error)")
            }
        case let error as HTTPParserError:
            switch error {
            case .invalidEOFState, .closedConnection: self = .connectionReset
            default: self = .protocolError("malformed HTTP response: \(error)")
            }
        case let error as SocketAddressError:
            switch error {
            case .unixDomainSocketPathTooLong:
                self = .protocolError("socket path is too long for a Unix domain socket: \(socketPath)")
            default:
                self = .protocolError("bad socket address \(socketPath): \(error)")
            }
        case is CancellationError:
            self = .cancelled
        default:
            self = .protocolError(String(describing: error))
        }
    }

    /// Maps an `errno` from `connect`, `read` or `write` on the socket at `socketPath`.
    public init(errno code: CInt, socketPath: String, context: String = "") {
        switch code {
        case ENOENT, ENOTDIR:
            self = .socketMissing(socketPath)
        case ECONNREFUSED, EAGAIN:
            self = .connectionRefused(socketPath)
        case EACCES, EPERM:
            self = .permissionDenied(socketPath)
        case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN, ESHUTDOWN:
            self = .connectionReset
        case ETIMEDOUT:
            self = .timeout
        default:
            let detail = context.isEmpty ? Errno(rawValue: code).description : context
            self = .protocolError("I/O error on \(socketPath): \(detail)")
        }
    }
}
