#if canImport(Glibc)
import Glibc
#endif

/// Who a process is, beyond its (reusable) pid: the pid, its start time in clock ticks
/// since boot (field 22 of /proc/PID/stat) and the boot it belongs to. Two processes
/// can share a pid over time, never all three values.
public struct ProcessIdentity: Hashable, Codable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var startTime: UInt64
    public var bootID: String

    public init(pid: Int32, startTime: UInt64, bootID: String) {
        self.pid = pid
        self.startTime = startTime
        self.bootID = bootID
    }

    enum CodingKeys: String, CodingKey {
        case pid
        case startTime = "start_time"
        case bootID = "boot_id"
    }

    public var description: String { "\(pid)@\(startTime)" }

    /// The identity of a live process, read now; nil when it is gone.
    public static func current(pid: Int32) -> ProcessIdentity? {
        guard let stat = try? ProcStat.read(pid: pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: stat.startTime, bootID: BootID.current)
    }

    /// Whether the process this identity names is still the one holding its pid.
    public enum Liveness: Sendable, Equatable {
        /// Same pid, same start time, same boot.
        case alive
        /// Nothing holds the pid any more.
        case gone
        /// Another process holds the pid now (or the identity is from another boot).
        case reused
    }

    /// Checks this identity against /proc now.
    public func liveness() -> Liveness {
        if bootID != BootID.current { return .reused }
        guard let stat = try? ProcStat.read(pid: pid) else { return .gone }
        guard stat.startTime == startTime else { return .reused }
        guard stat.state.isExited else { return .alive }
        // A zombie leader whose other threads still run is alive (main thread called pthread_exit).
        return ThreadGroup.presenceOfExitedLeader(pid: pid) == .gone ? .gone : .alive
    }
}

/// The kernel's boot id (/proc/sys/kernel/random/boot_id): start times only compare within one boot.
public enum BootID {
    /// Read once per process; it cannot change while we run.
    public static let current: String = {
        (try? ProcFile.readString("/proc/sys/kernel/random/boot_id"))?
            .trimmingWhitespace() ?? "unknown"
    }()
}

/// Clock facts needed to turn start times into wall-clock times.
public enum BootClock {
    /// Clock ticks per second (USER_HZ).
    public static let ticksPerSecond: UInt64 = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? UInt64(ticks) : 100
    }()

    /// Boot time in seconds since the epoch (`btime` in /proc/stat).
    public static let bootTimeSeconds: UInt64 = {
        guard let text = try? ProcFile.readString("/proc/stat") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return UInt64(line.dropFirst(6).trimmingWhitespace()) ?? 0
        }
        return 0
    }()

    /// Wall-clock seconds since the epoch at which a process with this start time began.
    public static func epochSeconds(startTime: UInt64) -> Double {
        Double(bootTimeSeconds) + Double(startTime) / Double(ticksPerSecond)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
