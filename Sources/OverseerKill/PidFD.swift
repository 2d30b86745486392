import COverseerSys
import OverseerProcess
import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Errors from pidfd operations; other failures carry the call and its errno.
public enum PidFDError: Error, Equatable, Sendable {
    /// The process no longer exists.
    case noSuchProcess(pid: Int32)
    /// Another process holds the pid now.
    case identityMismatch(expected: ProcessIdentity, foundStartTime: UInt64?)
    case system(SystemCallError)
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
        let fd: Int32
        switch Syscall.shimResult(ov_pidfd_open(identity.pid)) {
        case .success(let opened): fd = opened
        case .failure(let errno) where errno == .noSuchProcess: throw .noSuchProcess(pid: identity.pid)
        case .failure(let errno): throw .system(SystemCallError("pidfd_open of pid \(identity.pid)", errno: errno))
        }
        let handle = PidFD(fd: fd, identity: identity)
        let stat: ProcStat
        do {
            stat = try ProcStat.read(pid: identity.pid)
        } catch .gone {
            throw .noSuchProcess(pid: identity.pid)
        } catch .io(let failure) {
            // Unverified is not gone (out of descriptors, say): the caller must not count it as exited.
            throw .system(failure)
        } catch {
            throw .system(SystemCallError("verify start time of pid \(identity.pid): \(error)", errno: .ioError))
        }
        guard stat.startTime == identity.startTime else {
            throw .identityMismatch(expected: identity, foundStartTime: stat.startTime)
        }
        return handle
    }

    /// Sends a signal through the pidfd. Returns false when the process has already exited.
    @discardableResult
    public func send(_ signal: Int32) throws(PidFDError) -> Bool {
        switch Syscall.shimResult(ov_pidfd_send_signal(fd, signal)) {
        case .success: return true
        case .failure(let errno) where errno == .noSuchProcess: return false
        case .failure(let errno): throw .system(SystemCallError("pidfd_send_signal \(SignalName.of(signal)) to pid \(identity.pid)", errno: errno))
        }
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
        let deadline = ContinuousClock.Instant.after(seconds: timeoutSeconds)
        while !alive.isEmpty {
            let remaining = (deadline - ContinuousClock.now).inSeconds
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
