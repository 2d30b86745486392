import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The one place that calls libc functions reporting failure as -1 plus `errno`, and the
/// one place that retries them when a signal interrupts them (EINTR).
public enum Syscall {
    /// Runs `call` until it does not fail with EINTR; its result, or the errno it failed with.
    @inlinable
    public static func retryingOnInterrupt<Value: FixedWidthInteger>(_ call: () -> Value) -> Result<Value, Errno> {
        while true {
            let value = call()
            if value != -1 { return .success(value) }
            let failure = Errno(rawValue: Glibc.errno)
            if failure != .interrupted { return .failure(failure) }
        }
    }

    /// Runs `call` (retried on EINTR) and throws a `SystemCallError` naming `operation` and
    /// `path` when it fails.
    @inlinable
    public static func check<Value: FixedWidthInteger>(_ operation: String, path: String? = nil, _ call: () -> Value) throws(SystemCallError) -> Value {
        switch retryingOnInterrupt(call) {
        case .success(let value): return value
        case .failure(let errno): throw SystemCallError(operation, path: path, errno: errno)
        }
    }

    /// For the C shim's functions, which return a value ≥ 0 or -errno (and retry EINTR
    /// themselves): the value, or the errno.
    @inlinable
    public static func shimResult(_ value: CInt) -> Result<CInt, Errno> {
        value >= 0 ? .success(value) : .failure(Errno(rawValue: -value))
    }
}
