import OverseerCgroup
import OverseerKill
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

/// What a caller asks for when spawning an agent.
public struct SpawnRequest: Codable, Sendable {
    public var name: String
    public var argv: [String]
    public var cwd: String?
    public var env: [String: String]?
    public var rows: UInt16?
    public var cols: UInt16?
    public var labels: [String: String]?
    /// The dispatch (unit of work) this agent belongs to.
    public var dispatch: String?
    public var role: String?
    /// The orchestrator's generation of this agent name (command streams).
    public var generation: Int64?

    public init(name: String, argv: [String], cwd: String? = nil, env: [String: String]? = nil, rows: UInt16? = nil, cols: UInt16? = nil, labels: [String: String]? = nil, dispatch: String? = nil, role: String? = nil, generation: Int64? = nil) {
        self.generation = generation
        self.dispatch = dispatch
        self.role = role
        self.name = name
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.rows = rows
        self.cols = cols
        self.labels = labels
    }
}

/// A process in an agent's current tree, for display.
public struct TreeProcess: Codable, Sendable, Equatable {
    public var pid: Int32
    public var ppid: Int32
    public var startTime: UInt64
    public var state: String
    public var comm: String
    public var cmdline: [String]

    enum CodingKeys: String, CodingKey {
        case pid, ppid, state, comm, cmdline
        case startTime = "start_time"
    }
}

/// The public view of an agent.
public struct AgentInfo: Codable, Sendable {
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
    /// Filled in by single-agent queries.
    public var tree: [TreeProcess]?
    public var dispatch: String?
    public var role: String?
    /// Set once the agent's dispatch failed and it was handed to the reaper.
    public var handoff: HandoffState = .none
    /// The agent's own cgroup (absolute path), when the supervisor manages a delegated subtree.
    public var cgroup: String?
    /// The orchestrator's generation, when it was spawned by a command stream.
    public var generation: Int64?

    enum CodingKeys: String, CodingKey {
        case id, name, incarnation, pid, identity, argv, cwd, labels, rows, cols, state, exit, transcript, tree, dispatch, role, handoff, cgroup, generation
        case spawnedAt = "spawned_at"
        case exitedAt = "exited_at"
        case outputBytes = "output_bytes"
    }
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

/// The result of releasing an agent.
public struct ReleaseResult: Codable, Sendable {
    public var agent: String
    public var incarnation: String
    public var report: KillReport
}

/// Errors the agent manager reports; the API maps each to an HTTP status.
public enum AgentError: Error, Sendable, CustomStringConvertible {
    case invalidName(String)
    case duplicateName(String)
    case tooManyAgents(limit: Int)
    case notFound(String)
    case notRunning(String)
    case busy(String)
    case spawnFailed(String)
    case inputTooLarge(size: Int, limit: Int)
    case invalidSize(rows: Int, cols: Int)
    case terminalClosed(String)
    case shuttingDown
    case dispatchNotFound(String)
    case dispatchClosed(String, state: String)
    case registryUnavailable(String)

    public var description: String {
        switch self {
        case .invalidName(let name): "invalid agent name \"\(name)\": use 1-64 characters from A-Z a-z 0-9 . _ -, not starting with . or -"
        case .duplicateName(let name): "an agent named \"\(name)\" already exists (release it first)"
        case .tooManyAgents(let limit): "agent limit reached (\(limit))"
        case .notFound(let name): "no agent named \"\(name)\""
        case .notRunning(let name): "agent \"\(name)\" is not running"
        case .busy(let name): "agent \"\(name)\" is already being released"
        case .spawnFailed(let reason): reason
        case .inputTooLarge(let size, let limit): "input is \(size) bytes; the limit is \(limit)"
        case .invalidSize(let rows, let cols): "terminal size \(rows)x\(cols) is out of range (1-1000 each)"
        case .terminalClosed(let name): "agent \"\(name)\" has no open terminal"
        case .shuttingDown: "the supervisor is shutting down"
        case .dispatchNotFound(let id): "no dispatch \"\(id)\""
        case .dispatchClosed(let id, let state): "dispatch \"\(id)\" is already \(state)"
        case .registryUnavailable(let reason): "the registry could not be written: \(reason)"
        }
    }
}

/// Settings the supervisor runs with (mapped from the effective configuration).
public struct SupervisorSettings: Sendable {
    public var stateDirectory: String
    public var outputBufferBytes: Int
    public var transcriptMaxBytes: UInt64
    public var maxInputBytes: Int
    public var maxAgents: Int
    public var defaultRows: UInt16
    public var defaultCols: UInt16
    public var killGraceSeconds: Double
    public var protectedPIDs: [Int32]
    public var protectedPidfiles: [String]
    /// Release agents on shutdown (true) or leave them for the reaper.
    public var releaseOnShutdown: Bool
    /// The in-flight registry (nil: none is kept).
    public var registryPath: String?
    public var heartbeatIntervalSeconds: Double
    /// The `cgroup_root` setting: `auto`, `off` or a cgroup v2 directory (resolved at start-up).
    public var cgroupRoot: String
    /// The subtree agents are placed in (nil: /proc identity tracking alone).
    public var cgroups: AgentCgroups?
    /// The durable delivery store (nil: messages are not accepted).
    public var deliveryStorePath: String?
    public var maxPendingDeliveries: Int = 256
    public var deliveryVerifySeconds: Double = 5
    public var deliveryRetentionSeconds: Double = 86_400
    /// Stored answers for Idempotency-Key retries and command-stream checkpoints (nil: none).
    public var idempotencyStorePath: String?
    public var idempotencyTTLSeconds: Double = 300
    public var idempotencyMaxEntries: Int = 10_000
    public var checkpointRetentionSeconds: Double = 604_800

    public init(stateDirectory: String, outputBufferBytes: Int = 1 << 20, transcriptMaxBytes: UInt64 = 64 << 20, maxInputBytes: Int = 65536, maxAgents: Int = 1000, defaultRows: UInt16 = 24, defaultCols: UInt16 = 80, killGraceSeconds: Double = 5, protectedPIDs: [Int32] = [], protectedPidfiles: [String] = [], releaseOnShutdown: Bool = true, registryPath: String? = nil, heartbeatIntervalSeconds: Double = 15, cgroupRoot: String = "off", cgroups: AgentCgroups? = nil, deliveryStorePath: String? = nil, maxPendingDeliveries: Int = 256, deliveryVerifySeconds: Double = 5, deliveryRetentionSeconds: Double = 86_400) {
        self.deliveryStorePath = deliveryStorePath
        self.maxPendingDeliveries = maxPendingDeliveries
        self.deliveryVerifySeconds = deliveryVerifySeconds
        self.deliveryRetentionSeconds = deliveryRetentionSeconds
        self.cgroupRoot = cgroupRoot
        self.cgroups = cgroups
        self.registryPath = registryPath
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.stateDirectory = stateDirectory
        self.outputBufferBytes = outputBufferBytes
        self.transcriptMaxBytes = transcriptMaxBytes
        self.maxInputBytes = maxInputBytes
        self.maxAgents = maxAgents
        self.defaultRows = defaultRows
        self.defaultCols = defaultCols
        self.killGraceSeconds = killGraceSeconds
        self.protectedPIDs = protectedPIDs
        self.protectedPidfiles = protectedPidfiles
        self.releaseOnShutdown = releaseOnShutdown
    }
}
