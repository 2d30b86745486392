import CSystemd
import OverseerSystem
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify(3) protocol: readiness, status, watchdog pings and stopping. Without
/// NOTIFY_SOCKET every call is a no-op, as systemd intends.
///
/// Messages go out on a non-blocking socket (`DatagramSender`), never through libsystemd's
/// blocking send: a service manager that stops reading (its queue holds about ten messages)
/// must not wedge the watchdog or shutdown. READY=1 and STOPPING=1 wait up to two seconds
/// for room; a status line or a ping that finds the queue full is dropped (the next one
/// follows within half the watchdog interval). Addresses other than a path or an abstract
/// name (`vsock:`) go through `sd_notify`.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// True when a service manager listens (NOTIFY_SOCKET is set).
    public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends `assignments`; false when there is nobody to tell or it could not be sent in `wait`.
    @discardableResult
    public func notify(_ assignments: String, wait: Duration = .zero) -> Bool {
        guard let address = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !address.isEmpty else { return false }
        switch DatagramSender.send(assignments, to: address, wait: wait) {
        case .success: return true
        case .failure(.unsupportedAddress): return sd_notify(0, assignments) > 0
        case .failure: return false
        }
    }

    public func ready(status: String) { notify("READY=1\nSTATUS=\(Self.oneLine(status))", wait: .seconds(2)) }
    public func status(_ text: String) { notify("STATUS=\(Self.oneLine(text))") }
    public func stopping(status: String) { notify("STOPPING=1\nSTATUS=\(Self.oneLine(status))", wait: .seconds(2)) }
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
