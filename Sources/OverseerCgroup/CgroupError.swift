import OverseerSystem
import SystemPackage

/// Why a cgroup operation failed; each case names the file or directory involved.
public enum CgroupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No cgroup v2 hierarchy is mounted.
    case noUnifiedHierarchy
    /// A path is not inside the cgroup v2 hierarchy (or is not absolute, or climbs with `..`).
    case notInHierarchy(path: String)
    /// The directory does not exist.
    case missing(path: String)
    /// A system call on a cgroup file or directory failed (the error names the file).
    case system(SystemCallError)
    /// The kernel has no `cgroup.kill` (before 5.14).
    case killUnsupported(path: String)

    public var description: String {
        switch self {
        case .noUnifiedHierarchy: return "no cgroup v2 hierarchy is mounted (looked for cgroup2 in /proc/self/mountinfo)"
        case .notInHierarchy(let path): return "\(path) is not a cgroup v2 directory path"
        case .missing(let path): return "cgroup \(path) does not exist"
        case .system(let failure): return failure.description
        case .killUnsupported(let path): return "\(path)/cgroup.kill is missing (kernel before 5.14)"
        }
    }
}

extension CgroupError {
    /// A failed system call on the cgroup file or directory at `path`.
    static func system(_ operation: String, path: String, _ errno: Errno) -> CgroupError {
        .system(SystemCallError(operation, path: path, errno: errno))
    }
}
