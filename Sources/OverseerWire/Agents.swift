/// Body of `POST /v1/agents`: the agent to start.
public struct SpawnRequest: Codable, Sendable, Equatable {
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
    /// The profile that reads this program's screen (default: detected from argv).
    public var profile: String?
    /// The pause between a message's text and its Enter, in milliseconds (default: the profile's).
    public var submitDelayMs: Int?

    public init(name: String, argv: [String], cwd: String? = nil, env: [String: String]? = nil, rows: UInt16? = nil, cols: UInt16? = nil, labels: [String: String]? = nil, dispatch: String? = nil, role: String? = nil, generation: Int64? = nil, profile: String? = nil, submitDelayMs: Int? = nil) {
        self.name = name
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.rows = rows
        self.cols = cols
        self.labels = labels
        self.dispatch = dispatch
        self.role = role
        self.generation = generation
        self.profile = profile
        self.submitDelayMs = submitDelayMs
    }

    enum CodingKeys: String, CodingKey {
        case name, argv, cwd, env, rows, cols, labels, dispatch, role, generation, profile
        case submitDelayMs = "submit_delay_ms"
    }
}

/// Who a process is: pid, start time (clock ticks since boot) and boot id.
public struct ProcessIdentityView: Codable, Sendable, Hashable {
    public var pid: Int32
    public var startTime: UInt64
    public var bootID: String

    public init(pid: Int32, startTime: UInt64, bootID: String) {
        self.pid = pid
        self.startTime = startTime
        self.bootID = bootID
    }

    enum CodingKeys: String, CodingKey {
        case pid
        case startTime = "start_time"
        case bootID = "boot_id"
    }
}

/// An agent as the API shows it (spawn answer, list entries, single-agent queries).
public struct AgentView: Codable, Sendable, Equatable {
    /// Lifecycle of an agent record.
    public enum State: String, Codable, Sendable {
        case running, exited, releasing
    }

    /// Where an agent stands in a dispatch-failure handoff.
    public enum Handoff: String, Codable, Sendable {
        case none, pending, persisted, consumed
    }

    /// How the agent's root process ended.
    public struct Exit: Codable, Sendable, Equatable {
        public var code: Int32?
        public var signal: Int32?
        public var coreDumped: Bool

        public init(code: Int32? = nil, signal: Int32? = nil, coreDumped: Bool = false) {
            self.code = code
            self.signal = signal
            self.coreDumped = coreDumped
        }
    }

    /// A process in the agent's current tree.
    public struct TreeProcess: Codable, Sendable, Equatable {
        public var pid: Int32
        public var ppid: Int32
        public var startTime: UInt64
        public var state: String
        public var comm: String
        public var cmdline: [String]

        public init(pid: Int32, ppid: Int32, startTime: UInt64, state: String, comm: String, cmdline: [String]) {
            self.pid = pid
            self.ppid = ppid
            self.startTime = startTime
            self.state = state
            self.comm = comm
            self.cmdline = cmdline
        }

        enum CodingKeys: String, CodingKey {
            case pid, ppid, state, comm, cmdline
            case startTime = "start_time"
        }
    }

    public var id: String
    public var name: String
    public var incarnation: String
    public var pid: Int32
    public var identity: ProcessIdentityView
    public var argv: [String]
    public var cwd: String
    public var labels: [String: String]
    public var rows: UInt16
    public var cols: UInt16
    public var state: State
    public var exit: Exit?
    public var spawnedAt: Double
    public var exitedAt: Double?
    public var transcript: String?
    public var outputBytes: UInt64
    /// Filled in by single-agent queries.
    public var tree: [TreeProcess]?
    public var dispatch: String?
    public var role: String?
    public var handoff: Handoff
    /// The agent's own cgroup (absolute path), when the supervisor manages a delegated subtree.
    public var cgroup: String?
    /// The orchestrator's generation, when a command stream spawned it.
    public var generation: Int64?
    /// What the program is doing, from its screen (`starting`, `idle`, `working`, `blocked`,
    /// `exited`), by its profile's rules; `explain` is left out here.
    public var agentState: AgentStateView?
    /// Set while a release has not finished: the processes it could not prove gone. The agent
    /// stays listed (and in the registry) until a release is clean.
    public var releaseSurvivors: [ProcessIdentityView]?
    /// Why that release could not prove the tree gone, beyond its survivors.
    public var releaseProblems: [String]?

    public init(id: String, name: String, incarnation: String, pid: Int32, identity: ProcessIdentityView, argv: [String], cwd: String, labels: [String: String], rows: UInt16, cols: UInt16, state: State, exit: Exit?, spawnedAt: Double, exitedAt: Double?, transcript: String?, outputBytes: UInt64, tree: [TreeProcess]?, dispatch: String?, role: String?, handoff: Handoff, cgroup: String?, generation: Int64?, agentState: AgentStateView? = nil, releaseSurvivors: [ProcessIdentityView]? = nil, releaseProblems: [String]? = nil) {
        self.releaseSurvivors = releaseSurvivors
        self.releaseProblems = releaseProblems
        self.id = id
        self.name = name
        self.incarnation = incarnation
        self.pid = pid
        self.identity = identity
        self.argv = argv
        self.cwd = cwd
        self.labels = labels
        self.rows = rows
        self.cols = cols
        self.state = state
        self.exit = exit
        self.spawnedAt = spawnedAt
        self.exitedAt = exitedAt
        self.transcript = transcript
        self.outputBytes = outputBytes
        self.tree = tree
        self.dispatch = dispatch
        self.role = role
        self.handoff = handoff
        self.cgroup = cgroup
        self.generation = generation
        self.agentState = agentState
    }

    enum CodingKeys: String, CodingKey {
        case id, name, incarnation, pid, identity, argv, cwd, labels, rows, cols, state, exit, transcript, tree, dispatch, role, handoff, cgroup, generation
        case agentState = "agent_state"
        case releaseSurvivors = "release_survivors"
        case releaseProblems = "release_problems"
        case spawnedAt = "spawned_at"
        case exitedAt = "exited_at"
        case outputBytes = "output_bytes"
    }
}

/// Answer to `GET /v1/agents`.
public struct AgentList: Codable, Sendable {
    public var agents: [AgentView]

    public init(agents: [AgentView]) {
        self.agents = agents
    }
}
