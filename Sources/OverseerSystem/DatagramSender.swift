#if canImport(Glibc)
import Glibc
#endif

/// Sends one datagram to a Unix socket without ever blocking longer than asked.
///
/// A Unix datagram receiver holds at most `net.unix.max_dgram_qlen` (often 10) unread
/// messages; past that a blocking `sendmsg` waits until the receiver reads, which for a
/// receiver that has stopped reading is forever. `sd_notify(3)` sends that way, so a busy or
/// gone service manager could wedge whichever thread pinged it. This sender connects a
/// non-blocking socket and, when the receiver's queue is full, waits for room at most
/// `wait` (zero: give up at once).
public enum DatagramSender {
    /// Why a datagram was not sent.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The address is neither an absolute path nor an abstract name (`@...`), or too long.
        case unsupportedAddress(String)
        /// The receiver's queue stayed full for the whole wait.
        case receiverBusy
        /// A system call failed (`operation` and errno).
        case system(String, Int32)

        public var description: String {
            switch self {
            case .unsupportedAddress(let address): "unsupported socket address \(address)"
            case .receiverBusy: "the receiver's queue is full"
            case .system(let operation, let errno): "\(operation): \(String(cString: strerror(errno)))"
            }
        }
    }

    /// Sends `message` to `address` (a path, or `@name` for the abstract namespace).
    public static func send(_ message: String, to address: String, wait: Duration) -> Result<Void, Failure> {
        guard let (resolved, length) = Self.socketAddress(address) else { return .failure(.unsupportedAddress(address)) }
        var socketAddress = resolved
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(.system("socket", errno)) }
        defer { close(fd) }
        // Connected, so that poll(POLLOUT) reports room in the receiver's queue.
        let connected = Syscall.retryingOnInterrupt {
            withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
            }
        }
        if case .failure(let errno) = connected { return .failure(.system("connect \(address)", errno.rawValue)) }
        let deadline = ContinuousClock.now.advanced(by: wait)
        let bytes = Array(message.utf8)
        while true {
            let sent = Syscall.retryingOnInterrupt { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            switch sent {
            case .success: return .success(())
            case .failure(let errno) where errno == .wouldBlock || errno == .resourceTemporarilyUnavailable:
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { return .failure(.receiverBusy) }
                let (seconds, attoseconds) = left.components
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
            case .failure(let errno):
                return .failure(.system("send to \(address)", errno.rawValue))
            }
        }
    }

    /// `sockaddr_un` for a path or an abstract name (`@` becomes the leading NUL).
    static func socketAddress(_ address: String) -> (sockaddr_un, socklen_t)? {
        var bytes = Array(address.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@") else { return nil }
        let abstract = first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        var result = sockaddr_un()
        result.sun_family = sa_family_t(AF_UNIX)
        // A path needs room for its terminating NUL; an abstract name is counted exactly.
        guard bytes.count < MemoryLayout.size(ofValue: result.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &result.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let header = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = abstract ? header + bytes.count : MemoryLayout<sockaddr_un>.size
        return (result, socklen_t(length))
    }
}
