import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file operations on paths; failures name the path.
extension FilePath {
    /// The whole file's bytes (regular files and /proc files alike).
    public func readContents() throws(SystemCallError) -> [UInt8] {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.openAt(self, .readOnly) } catch { throw SystemCallError("open", path: string, errno: error) }
        defer { fd.closeQuietly() }
        do { return try fd.readToEnd() } catch { throw SystemCallError("read", path: string, errno: error) }
    }

    /// `mkdir -p`: creates this directory and its missing parents, each with exactly
    /// `permissions` (mkdir's mode is filtered by the umask, so they are set again). An
    /// existing directory is left as it is; an existing non-directory fails with ENOTDIR.
    public func createDirectories(permissions: FilePermissions) throws(SystemCallError) {
        if let existing = try? stat() {
            guard existing.type == .directory else { throw SystemCallError("use as directory", path: string, errno: .notDirectory) }
            return
        }
        var prefix = FilePath(root: root)
        if prefix.isEmpty { prefix = "." }
        for component in components {
            prefix.append(component)
            let made = prefix.withCString { name in Syscall.retryingOnInterrupt { mkdir(name, permissions.rawValue) } }
            switch made {
            case .success:
                _ = prefix.withCString { chmod($0, permissions.rawValue) }
            case .failure(let errno) where errno == .fileExists:
                continue
            case .failure(let errno):
                throw SystemCallError("create directory", path: prefix.string, errno: errno)
            }
        }
    }
}

extension Duration {
    /// This duration in seconds, as reports and JSON show it.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension ContinuousClock.Instant {
    /// Now plus `seconds` (a timeout from configuration or a request). Negative and NaN count
    /// as zero, and anything beyond a billion seconds as a billion, so that a huge or infinite
    /// timeout means "wait very long" rather than trapping on Duration overflow.
    public static func after(seconds: Double) -> ContinuousClock.Instant {
        let bounded = seconds.isNaN ? 0 : min(max(seconds, 0), 1e9)
        return .now + .seconds(bounded)
    }
}

/// Sleeping the calling thread, for synchronous code (lock back-off, polling a cgroup).
public enum BlockingSleep {
    /// Sleeps for `duration` on the continuous clock; a signal does not cut it short.
    public static func sleep(for duration: Duration) {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        while true {
            let left = clock.now.duration(to: deadline)
            if left <= .zero { return }
            let (seconds, attoseconds) = left.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            _ = nanosleep(&request, nil)
        }
    }
}
