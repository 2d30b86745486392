import OverseerPTY

extension SpawnError {
    /// The JSON field of a spawn request (`POST /v1/agents`) that caused this error, so an API
    /// error names what the caller must change; nil when the cause is not in the request (a
    /// PTY that could not be opened, an invalid variable the supervisor itself inherited).
    func requestField(overrides: [String: String]) -> String? {
        switch self {
        case .emptyArgv: "argv"
        case .invalidArgument(let index, _): "argv[\(index)]"
        case .executableNotFound, .notExecutable, .noSuchFile, .spawnFailed: "argv[0]"
        case .badWorkingDirectory: "cwd"
        case .invalidEnvironment(let name, _): overrides[name] != nil ? "env.\(name)" : nil
        case .ptyFailed: nil
        }
    }
}
