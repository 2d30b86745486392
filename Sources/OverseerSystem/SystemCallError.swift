import SystemPackage

/// A system call that failed: what was attempted, on which file (when there is one), and the
/// `Errno` it failed with. Its message is one line naming all three.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was attempted, in words (`"open"`, `"fsync directory /run/overseer"`).
    public var operation: String
    /// The file the call was about; nil for calls on no file (pidfds, signals).
    public var path: String?
    public var errno: Errno

    public init(_ operation: String, path: String? = nil, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The system's text for the errno (strerror), e.g. "Permission denied".
    public var reason: String { errno.description }

    /// `PATH: OPERATION failed: REASON`, or `OPERATION failed: REASON` without a path.
    public var description: String {
        (path.map { "\($0): " } ?? "") + "\(operation) failed: \(reason)"
    }

    /// The same failure, reported for another path (e.g. the file a temporary file replaces).
    public func about(_ path: String) -> SystemCallError {
        SystemCallError(operation, path: path, errno: errno)
    }
}
