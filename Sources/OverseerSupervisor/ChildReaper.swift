import COverseerSys
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a child ended.
public struct ExitStatus: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Exit code when it exited normally.
    public var code: Int32?
    /// Signal number when a signal ended it.
    public var signal: Int32?
    public var coreDumped: Bool

    public init(code: Int32? = nil, signal: Int32? = nil, coreDumped: Bool = false) {
        self.code = code
        self.signal = signal
        self.coreDumped = coreDumped
    }

    /// From waitid's si_code / si_status.
    init(siCode: Int32, siStatus: Int32) {
        switch siCode {
        case Int32(CLD_EXITED): self.init(code: siStatus)
        case Int32(CLD_DUMPED): self.init(signal: siStatus, coreDumped: true)
        default: self.init(signal: siStatus)
        }
    }

    public var description: String {
        if let code { return "exited with code \(code)" }
        if let signal {
            let name = String(cString: strsignal(signal))
            return "killed by signal \(signal) (\(name))\(coreDumped ? ", core dumped" : "")"
        }
        return "unknown"
    }
}

/// The process-wide reaper of children: one thread blocked in `waitid(P_ALL)`.
///
/// The supervisor is a child subreaper, so orphaned descendants of its agents re-parent to
/// it and are reaped here too (no zombies, ever). To make pid → agent attribution race-free,
/// an exited child is first only *peeked at* (WNOWAIT: the zombie still holds its pid, so it
/// cannot be reused), then its exit is recorded under the spawn lock, then it is reaped.
/// Spawning takes the same lock, so a fresh child can never be confused with a dead one.
public final class ChildReaper: Sendable {
    public typealias ExitHandler = @Sendable (_ pid: Int32, _ status: ExitStatus) -> Bool

    /// One per process: waitid(P_ALL) sees every child of the process.
    public static let shared = ChildReaper()

    private let spawnLock = Mutex(())
    private let handlers = Mutex<[Int: ExitHandler]>([:])
    private let started = Mutex(false)
    private let wakeup = DispatchSemaphore(value: 0)

    private init() {}

    /// Starts the reaper thread (idempotent).
    public func start() {
        let first = started.withLock { started -> Bool in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let thread = Thread { [self] in self.run() }
        thread.start()
    }

    /// Registers a handler offered every exit; it returns true when the pid was one of its
    /// own. Handlers run on the reaper thread under the spawn lock: keep them short.
    public func addHandler(_ handler: @escaping ExitHandler) -> Int {
        handlers.withLock { handlers in
            let id = (handlers.keys.max() ?? 0) + 1
            handlers[id] = handler
            return id
        }
    }

    /// Runs `body` (which spawns and registers a child) so that the child's exit cannot be
    /// processed before the registration is complete.
    public func withSpawnLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = spawnLock.withLock { _ in
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        defer { wakeup.signal() }
        return try result.get()
    }

    private func run() {
        while true {
            var pid: Int32 = 0
            var code: Int32 = 0
            var status: Int32 = 0
            let rc = ov_wait_any(1, 0, &pid, &code, &status)
            if rc == -ECHILD {
                wakeup.wait()
                continue
            }
            if rc != 0 || pid <= 0 { continue }
            let exit = ExitStatus(siCode: code, siStatus: status)
            spawnLock.withLock { _ in
                let current = handlers.withLock { Array($0.values) }
                for handler in current where handler(pid, exit) { break }
                var ignored: Int32 = 0
                while waitpid(pid, &ignored, 0) < 0 && errno == EINTR {}
            }
        }
    }
}

/// Makes the calling process a child subreaper: orphaned descendants re-parent to it.
public enum Subreaper {
    @discardableResult
    public static func enable() -> Bool { ov_set_child_subreaper(1) == 0 }
}

#if canImport(Foundation)
import Foundation
#endif
