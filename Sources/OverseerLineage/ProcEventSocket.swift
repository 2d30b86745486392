import COverseerSys
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One fork or exit the kernel reported.
public struct ProcEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `pid`/`tgid` is the new thread; a new process when `pid == tgid`.
        case fork(parentTGID: Int32)
        /// A thread ended (`pid == tgid`: the leader; the process may live on in other threads).
        case exit(code: Int32)
    }

    public var kind: Kind
    public var pid: Int32
    public var tgid: Int32

    public init(kind: Kind, pid: Int32, tgid: Int32) {
        self.kind = kind
        self.pid = pid
        self.tgid = tgid
    }
}

/// Why the proc connector could not be used.
public struct ProcEventError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var errno: Errno

    public var description: String {
        let hint = errno == .permissionDenied || errno == .notPermitted ? " (needs CAP_NET_ADMIN, i.e. root)" : ""
        return "proc connector \(operation): \(errno)\(hint)"
    }
}

/// A netlink socket subscribed to the kernel's process events (`CN_IDX_PROC`).
public struct ProcEventSocket: ~Copyable, Sendable {
    /// How many events one read can return.
    static let batch = 256
    private let fd: Int32

    /// Subscribes, with a receive buffer of `receiveBuffer` bytes (events queue there while
    /// the reader is busy; an overflow drops events and the next read says so).
    public init(receiveBuffer: Int = 8 << 20) throws(ProcEventError) {
        let fd = ov_proc_events_open(Int32(receiveBuffer))
        guard fd >= 0 else { throw ProcEventError(operation: "subscribe", errno: Errno(rawValue: -fd)) }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// Waits up to `timeoutMilliseconds` for events. `.lost` when the kernel dropped some.
    public func read(timeoutMilliseconds: Int32) -> ReadResult {
        var buffer = [ov_proc_event](repeating: ov_proc_event(), count: Self.batch)
        let count = buffer.withUnsafeMutableBufferPointer { ov_proc_events_read(fd, timeoutMilliseconds, $0.baseAddress, Int32(Self.batch)) }
        if count == -ENOBUFS { return .lost }
        if count < 0 { return .failed(ProcEventError(operation: "read", errno: Errno(rawValue: -count))) }
        return .events(buffer.prefix(Int(count)).map { raw in
            let kind: ProcEvent.Kind = raw.kind == Int32(OV_PROC_EVENT_FORK) ? .fork(parentTGID: raw.parent_tgid) : .exit(code: raw.exit_code)
            return ProcEvent(kind: kind, pid: raw.pid, tgid: raw.tgid)
        })
    }

    public enum ReadResult: Sendable {
        case events([ProcEvent])
        /// The receive buffer overflowed: some events are gone.
        case lost
        case failed(ProcEventError)
    }
}
