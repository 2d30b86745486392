import SystemPackage

/// Why a spawn failed. Every case names its cause; a failed spawn leaves no process and no fd.
public enum SpawnError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyArgv
    case invalidArgument(index: Int, reason: String)
    case invalidEnvironment(name: String, reason: String)
    case executableNotFound(name: String, searchPath: String)
    case notExecutable(path: String)
    case noSuchFile(path: String)
    case badWorkingDirectory(path: String, reason: String)
    case ptyFailed(errno: Errno)
    case spawnFailed(path: String, errno: Errno)

    public var description: String {
        switch self {
        case .emptyArgv:
            "argv is empty: give at least the program to run"
        case .invalidArgument(let index, let reason):
            "argv[\(index)] \(reason)"
        case .invalidEnvironment(let name, let reason):
            "environment variable \"\(name)\" \(reason)"
        case .executableNotFound(let name, let searchPath):
            "executable not found: \"\(name)\" (searched PATH=\(searchPath))"
        case .noSuchFile(let path):
            "no such executable: \(path)"
        case .notExecutable(let path):
            "not an executable file: \(path)"
        case .badWorkingDirectory(let path, let reason):
            "working directory \(path): \(reason)"
        case .ptyFailed(let errno):
            "could not open a pseudo-terminal: \(errno)"
        case .spawnFailed(let path, let errno):
            "could not start \(path): \(errno)"
        }
    }
}
