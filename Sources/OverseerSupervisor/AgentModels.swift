import OverseerProcess

/// Lifecycle of an agent record.
public enum AgentState: String, Codable, Sendable {
    /// Its root process runs.
    case running
    /// Its root process has exited (descendants may linger until release).
    case exited
    /// A release (whole-tree kill) is under way.
    case releasing
}

/// Where an agent stands in a dispatch-failure handoff.
public enum HandoffState: String, Codable, Sendable {
    case none
    /// Marked `dispatch_failed`, not yet on disk.
    case pending
    /// On disk as `dispatch_failed`: the reaper owns it.
    case persisted
    /// The reaper has killed its tree and removed the entry.
    case consumed
}

/// What the supervisor knows about one agent incarnation.
public struct AgentInfo: Sendable {
    public var id: String
    public var name: String
    public var incarnation: String
    public var pid: Int32
    public var identity: ProcessIdentity
    public var argv: [String]
    public var cwd: String
    public var labels: [String: String]
    public var rows: UInt16
    public var cols: UInt16
    public var state: AgentState
    public var exit: ExitStatus?
    public var spawnedAt: Double
    public var exitedAt: Double?
    public var transcript: String?
    public var outputBytes: UInt64
    public var dispatch: String?
    public var role: String?
    /// Set once the agent's dispatch failed and it was handed to the reaper.
    public var handoff: HandoffState = .none
    /// The agent's own cgroup (absolute path), when the supervisor manages a delegated subtree.
    public var cgroup: String?
    /// The orchestrator's generation, when it was spawned by a command stream.
    public var generation: Int64?
    /// After a release that did not finish: what it could not prove gone (nil otherwise).
    public var unfinishedRelease: UnfinishedRelease?
}

/// What a release left behind: the agent stays listed with it until a release is clean.
public struct UnfinishedRelease: Sendable, Equatable {
    public var survivors: [ProcessIdentity]
    public var problems: [String]

    public init(survivors: [ProcessIdentity], problems: [String]) {
        self.survivors = survivors
        self.problems = problems
    }
}
