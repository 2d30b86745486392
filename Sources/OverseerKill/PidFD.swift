import COverseerSys
import OverseerProcess
#if canImport(Glibc)
import Glibc
#endif

/// Errors from pidfd operations, carrying the errno.
public enum PidFDError: Error, Equatable, Sendable {
    /// The process no longer exists.
    case noSuchProcess(pid: Int32)
    /// Another process holds the pid now.
    case identityMismatch(expected: ProcessIdentity, foundStartTime: UInt64?)
    case system(operation: String, errno: Int32)
}

/// An open pidfd: a handle on one process that stays valid (and never refers to another
/// process) even after the pid is reused. Closed when released.
public final class PidFD: @unchecked Sendable {
    public let fd: Int32
    public let identity: ProcessIdentity

    private init(fd: Int32, identity: ProcessIdentity) {
        self.fd = fd
        self.identity = identity
    }

    deinit { close(fd) }

    /// Opens a pidfd for `identity` and proves it names that process: the start time is read
    /// again *after* the open, so a pid reused in between is detected, never signalled.
    public static func open(_ identity: ProcessIdentity) throws(PidFDError) -> PidFD {
        guard identity.bootID == BootID.current else {
            throw .identityMismatch(expected: identity, foundStartTime: nil)
        }
        let fd = ov_pidfd_open(identity.pid)
        if fd < 0 {
            if -fd == ESRCH { throw .noSuchProcess(pid: identity.pid) }
            throw .system(operation: "pidfd_open", errno: -fd)
        }
        let handle = PidFD(fd: fd, identity: identity)
        guard let stat = try? ProcStat.read(pid: identity.pid) else {
            throw .noSuchProcess(pid: identity.pid)
        }
        guard stat.startTime == identity.startTime else {
            throw .identityMismatch(expected: identity, foundStartTime: stat.startTime)
        }
        return handle
    }

    /// Sends a signal through the pidfd. Returns false when the process has already exited.
    @discardableResult
    public func send(_ signal: Int32) throws(PidFDError) -> Bool {
        let rc = ov_pidfd_send_signal(fd, signal)
        if rc == 0 { return true }
        if -rc == ESRCH { return false }
        throw .system(operation: "pidfd_send_signal", errno: -rc)
    }

    /// True once the process has terminated (the pidfd polls readable; zombies count as exited).
    public var hasExited: Bool {
        var ready: UInt8 = 0
        var fd = self.fd
        return ov_poll_readable(&fd, 1, 0, &ready) > 0 && ready != 0
    }

    /// Reaps the process if it is the caller's child and has exited. Returns true when reaped.
    @discardableResult
    public func reapIfChild() -> Bool {
        var code: Int32 = 0
        var status: Int32 = 0
        return ov_pidfd_reap(fd, &code, &status) == 1
    }

    /// Waits until every handle has exited or the deadline passes; returns those still alive.
    public static func waitForExit(_ handles: [PidFD], timeoutSeconds: Double) -> [PidFD] {
        var alive = handles.filter { !$0.hasExited }
        let deadline = MonotonicClock.now + timeoutSeconds
        while !alive.isEmpty {
            let remaining = deadline - MonotonicClock.now
            if remaining <= 0 { break }
            var fds = alive.map(\.fd)
            var ready = [UInt8](repeating: 0, count: fds.count)
            let waitMs = Int32(min(remaining * 1000, 250).rounded(.up))
            _ = ov_poll_readable(&fds, Int32(fds.count), max(waitMs, 1), &ready)
            alive = zip(alive, ready).filter { $0.1 == 0 }.map(\.0)
        }
        return alive
    }
}

/// Seconds from a monotonic clock.
public enum MonotonicClock {
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Names for the signals the kill engine sends.
public enum SignalName {
    public static func of(_ signal: Int32) -> String {
        switch signal {
        case SIGSTOP: "SIGSTOP"
        case SIGTERM: "SIGTERM"
        case SIGCONT: "SIGCONT"
        case SIGKILL: "SIGKILL"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "SIG\(signal)"
        }
    }
}
