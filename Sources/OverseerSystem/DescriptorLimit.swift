import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The process's descriptor limit (`RLIMIT_NOFILE`).
///
/// systemd gives a service a soft limit of 1024 unless the unit sets `LimitNOFILE=`, and a
/// kill engine or reaper that runs out of descriptors must degrade its method, never its
/// verdict. So `overseer serve` and `overseer reap` raise the soft limit to the hard one at
/// start and log the result.
public enum DescriptorLimit {
    public struct Limits: Sendable, Equatable, CustomStringConvertible {
        public var soft: UInt64
        public var hard: UInt64

        public var description: String { "soft \(Self.text(soft)), hard \(Self.text(hard))" }

        static func text(_ value: UInt64) -> String { value == UInt64.max ? "unlimited" : "\(value)" }
    }

    /// The limits now.
    public static func current() throws(SystemCallError) -> Limits {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { throw SystemCallError("getrlimit RLIMIT_NOFILE", errno: .init(rawValue: errno)) }
        return Limits(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit; returns the limits before and after.
    @discardableResult
    public static func raiseSoftToHard() throws(SystemCallError) -> (before: Limits, after: Limits) {
        let before = try current()
        guard before.soft < before.hard else { return (before, before) }
        var limit = rlimit(rlim_cur: rlim_t(before.hard), rlim_max: rlim_t(before.hard))
        guard setrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { throw SystemCallError("setrlimit RLIMIT_NOFILE to \(before.hard)", errno: .init(rawValue: errno)) }
        return (before, try current())
    }

    /// One log line's worth: "raised soft RLIMIT_NOFILE from 1024 to 524288 (hard 524288)".
    public static func raiseAndDescribe() -> (message: String, failed: Bool) {
        do {
            let (before, after) = try raiseSoftToHard()
            if before.soft == after.soft { return ("RLIMIT_NOFILE \(after) (soft already at hard)", false) }
            return ("raised soft RLIMIT_NOFILE from \(Limits.text(before.soft)) to \(Limits.text(after.soft)) (hard \(Limits.text(after.hard)))", false)
        } catch {
            return ("could not raise RLIMIT_NOFILE: \(error)", true)
        }
    }

    #if canImport(Glibc)
    private static var RLIMIT_NOFILE_VALUE: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #endif
}
