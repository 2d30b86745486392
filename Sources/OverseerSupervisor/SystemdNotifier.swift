import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) through libsystemd: readiness, status, watchdog pings and stopping.
/// Without NOTIFY_SOCKET every call is a no-op, as systemd intends.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// True when a service manager listens (NOTIFY_SOCKET is set).
    public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

    @discardableResult
    public func notify(_ assignments: String) -> Bool { sd_notify(0, assignments) > 0 }

    public func ready(status: String) { notify("READY=1\nSTATUS=\(Self.oneLine(status))") }
    public func status(_ text: String) { notify("STATUS=\(Self.oneLine(text))") }
    public func stopping(status: String) { notify("STOPPING=1\nSTATUS=\(Self.oneLine(status))") }
    public func watchdogPing() { notify("WATCHDOG=1") }

    /// The watchdog timeout systemd asked for (WATCHDOG_USEC, checked against WATCHDOG_PID), if any.
    public var watchdogTimeout: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
