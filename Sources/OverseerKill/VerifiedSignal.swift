import OverseerProcess
import OverseerSystem
#if canImport(Glibc)
import Glibc
#endif

/// How one signal to a process identity ended.
enum SignalResult: Equatable {
    /// It reached the process the identity names.
    case delivered
    /// The process had exited ("no such process", or a verified exit).
    case gone
    /// The pid names another process now: nothing was sent.
    case reused
    /// It could not be sent (or not verified); the process counts as alive.
    case failed(String)
}

/// Signals a process by identity while holding no descriptor beyond the call: a pidfd is
/// opened, its start time verified after the open, the signals sent and the pidfd closed at
/// once, so a kill never needs more than one spare descriptor, however large the tree. Where
/// no pidfd can be had (descriptors exhausted), the signal goes by pid between two start-time
/// checks of /proc/PID/stat (before: it is still the process; after: the pid was not reused
/// in between). Any error but "no such process" is `failed`, never `gone`.
enum VerifiedSignal {
    static func send(_ signals: [Int32], to identity: ProcessIdentity) -> [SignalResult] {
        let handle: PidFD
        do {
            handle = try PidFD.open(identity)
        } catch .noSuchProcess {
            return signals.map { _ in .gone }
        } catch .identityMismatch {
            return signals.map { _ in .reused }
        } catch {
            return signals.map { byPID($0, identity) }
        }
        return signals.map { signal in
            do {
                return try handle.send(signal) ? .delivered : .gone
            } catch {
                return .failed("\(error)")
            }
        }
    }

    /// The fallback without a pidfd: kill(2) between two start-time checks.
    static func byPID(_ signal: Int32, _ identity: ProcessIdentity) -> SignalResult {
        switch identity.presence() {
        case .gone: return .gone
        case .reused: return .reused
        case .unknown(let reason): return .failed("pid \(identity.pid) not verified before \(SignalName.of(signal)): \(reason)")
        case .alive: break
        }
        if Glibc.kill(identity.pid, signal) != 0 {
            let error = errno
            if error == ESRCH { return .gone }
            return .failed("kill \(SignalName.of(signal)) pid \(identity.pid): \(String(cString: strerror(error)))")
        }
        if identity.presence() == .reused {
            return .failed("pid \(identity.pid) was reused while \(SignalName.of(signal)) was sent")
        }
        return .delivered
    }

    /// Waits until none of `identities` may be alive or the deadline passes, polling /proc
    /// (no descriptor is held between polls); returns those that may still be alive.
    static func waitForExit(_ identities: [ProcessIdentity], timeoutSeconds: Double) -> [ProcessIdentity] {
        var alive = identities
        let deadline = ContinuousClock.Instant.after(seconds: timeoutSeconds)
        var pause = Duration.milliseconds(1)
        while true {
            alive = alive.filter { $0.presence().mayBeAlive }
            if alive.isEmpty || ContinuousClock.now >= deadline { return alive }
            BlockingSleep.sleep(for: min(pause, deadline - ContinuousClock.now))
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}

extension KillEngine {
    /// SIGKILLs one process by identity (a pidfd verified after opening, as every kill
    /// signal is); true when it was delivered.
    public static func killVerified(_ identity: ProcessIdentity) -> Bool {
        VerifiedSignal.send([SIGKILL], to: identity) == [.delivered]
    }
}
