import OverseerSystem
import SystemPackage

/// Whether a process is still there, decided so that doubt never reads as "gone".
///
/// Two facts make a plain stat read insufficient. A thread-group leader whose main thread
/// called `pthread_exit` shows state `Z` while its other threads run: the process is alive
/// (it holds its pid, runs code, can fork). And a read that fails for any reason but "no
/// such process" (out of descriptors, say) proves nothing: the answer is `unknown`, which
/// callers must count as alive.
public enum ProcessPresence: Sendable, Equatable, CustomStringConvertible {
    /// The process runs (a zombie leader with a live thread included).
    case alive
    /// It has exited: no entry, or a zombie whose every thread has exited.
    case gone
    /// Another process holds the pid now (or the identity is from another boot).
    case reused
    /// /proc could not be read; the reason is the failed call.
    case unknown(String)

    public var description: String {
        switch self {
        case .alive: "alive"
        case .gone: "gone"
        case .reused: "reused"
        case .unknown(let reason): "unknown (\(reason))"
        }
    }

    /// Everything but a proven exit or a proven reuse counts as alive.
    public var mayBeAlive: Bool {
        switch self {
        case .alive, .unknown: true
        case .gone, .reused: false
        }
    }
}

extension ProcessIdentity {
    /// Checks this identity against /proc now, failing closed (see `ProcessPresence`).
    public func presence() -> ProcessPresence {
        if bootID != BootID.current { return .reused }
        let stat: ProcStat
        do {
            stat = try ProcStat.read(pid: pid)
        } catch .gone {
            return .gone
        } catch {
            return .unknown("\(error)")
        }
        guard stat.startTime == startTime else { return .reused }
        guard stat.state.isExited else { return .alive }
        return ThreadGroup.presenceOfExitedLeader(pid: pid)
    }
}

/// The threads of a process (/proc/PID/task).
public enum ThreadGroup {
    /// For a process whose leader shows `Z` or `X`: alive while any other thread has not
    /// exited, gone once all have.
    public static func presenceOfExitedLeader(pid: Int32) -> ProcessPresence {
        let directory = "/proc/\(pid)/task"
        var tids: [Int32] = []
        do {
            try DirectoryEntries.forEach(in: FilePath(directory)) { name, _ in
                var value: Int32 = 0
                for byte in name {
                    guard byte >= 0x30 && byte <= 0x39 else { return }
                    value = value &* 10 &+ Int32(byte - 0x30)
                }
                if !name.isEmpty { tids.append(value) }
            }
        } catch {
            if error.errno == .noSuchFileOrDirectory || error.errno == .noSuchProcess { return .gone }
            return .unknown("\(error)")
        }
        for tid in tids where tid != pid {
            let path = "\(directory)/\(tid)/stat"
            do {
                guard let stat = ProcStat.parse(try ProcFile.readBytes(path)) else { return .unknown("\(path): unparseable stat line") }
                if !stat.state.isExited { return .alive }
            } catch .gone {
                continue
            } catch {
                return .unknown("\(error)")
            }
        }
        return .gone
    }

    /// Whether the process runs, counting a zombie leader with live threads as running and
    /// an unreadable /proc entry as running.
    public static func mayBeRunning(_ stat: ProcStat) -> Bool {
        guard stat.state.isExited else { return true }
        return presenceOfExitedLeader(pid: stat.pid).mayBeAlive
    }
}
