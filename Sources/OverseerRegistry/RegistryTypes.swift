import OverseerProcess

/// Where an agent stands, as recorded for the reaper.
public enum EntryState: String, Codable, Sendable, Equatable {
    /// Spawned and owned by a supervisor.
    case running
    /// Handed off after a failed dispatch: reaped whatever the supervisor's state.
    case dispatchFailed = "dispatch_failed"
    /// Being released (stopped) by its supervisor.
    case releasing
}

/// Whether the supervisor that wrote the registry is serving or shutting down.
public enum SupervisorStatus: String, Codable, Sendable, Equatable {
    case running
    case stopping
}

/// A reference to the issue an agent works on (any subset of the three may be known).
public struct IssueRef: Codable, Sendable, Equatable {
    public var uuid: String?
    public var key: String?
    public var path: String?

    public init(uuid: String? = nil, key: String? = nil, path: String? = nil) {
        self.uuid = uuid
        self.key = key
        self.path = path
    }
}

/// The supervisor instance that last wrote the registry, with its heartbeat.
public struct SupervisorRecord: Codable, Sendable, Equatable {
    public var identity: ProcessIdentity
    public var status: SupervisorStatus
    /// Epoch seconds of the latest write by this supervisor.
    public var heartbeatAt: Double

    public init(identity: ProcessIdentity, status: SupervisorStatus = .running, heartbeatAt: Double) {
        self.identity = identity
        self.status = status
        self.heartbeatAt = heartbeatAt
    }

    enum CodingKeys: String, CodingKey {
        case identity, status
        case heartbeatAt = "heartbeat_at"
    }
}

/// One in-flight agent: enough for a reaper to find its process tree and prove it is the one.
public struct RegistryEntry: Codable, Sendable, Equatable {
    /// Agent id; also the value of the `OVERSEER_AGENT_ID` marker its processes inherit.
    public var id: String
    public var name: String
    public var role: String?
    public var issue: IssueRef?
    public var sessionRef: String?
    public var dispatchID: String?
    /// Fresh for every spawn of the agent name.
    public var incarnation: String
    public var state: EntryState
    /// Identities of the agent's root processes.
    public var roots: [ProcessIdentity]
    /// The agent's cgroup (absolute path), when it has one.
    public var cgroup: String?
    /// Processes the kernel saw born into the tree (its fork events), bounded; the reaper
    /// kills them and their descendants too, each verified by identity. Absent when none.
    public var lineage: [ProcessIdentity]?
    /// The supervisor instance that spawned it.
    public var owner: ProcessIdentity?
    /// Epoch seconds.
    public var createdAt: Double
    /// Epoch seconds.
    public var updatedAt: Double
    /// Reap passes that found the tree but could not finish it.
    public var reapAttempts: Int
    /// Epoch seconds of the first pass that could not resolve the tree.
    public var firstUnresolvedAt: Double?

    public init(
        id: String, name: String, role: String? = nil, issue: IssueRef? = nil, sessionRef: String? = nil,
        dispatchID: String? = nil, incarnation: String, state: EntryState = .running, roots: [ProcessIdentity] = [],
        cgroup: String? = nil, owner: ProcessIdentity? = nil, lineage: [ProcessIdentity] = [], createdAt: Double, updatedAt: Double? = nil,
        reapAttempts: Int = 0, firstUnresolvedAt: Double? = nil
    ) {
        self.lineage = lineage.isEmpty ? nil : lineage
        self.id = id
        self.name = name
        self.role = role
        self.issue = issue
        self.sessionRef = sessionRef
        self.dispatchID = dispatchID
        self.incarnation = incarnation
        self.state = state
        self.roots = roots
        self.cgroup = cgroup
        self.owner = owner
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.reapAttempts = reapAttempts
        self.firstUnresolvedAt = firstUnresolvedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, role, issue, incarnation, state, roots, cgroup, owner, lineage
        case sessionRef = "session_ref"
        case dispatchID = "dispatch_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case reapAttempts = "reap_attempts"
        case firstUnresolvedAt = "first_unresolved_at"
    }
}

/// The whole in-flight registry (format version 2: a snapshot file continued by a journal).
public struct RegistryDocument: Codable, Sendable, Equatable {
    /// The version this code writes. Version 1 (a snapshot with no journal) is still read.
    public static let currentVersion = 2
    /// The oldest version this code reads.
    public static let oldestReadableVersion = 1

    public var version: Int
    public var supervisor: SupervisorRecord?
    /// Epoch seconds of the latest write.
    public var updatedAt: Double
    public var agents: [RegistryEntry]
    /// In the snapshot file only: the token the journal continuing this snapshot starts with
    /// (see `JournalRecord`). Never set in a document handed to callers.
    var journal: String?

    public init(version: Int = RegistryDocument.currentVersion, supervisor: SupervisorRecord? = nil, updatedAt: Double = 0, agents: [RegistryEntry] = []) {
        self.version = version
        self.supervisor = supervisor
        self.updatedAt = updatedAt
        self.agents = agents
    }

    enum CodingKeys: String, CodingKey {
        case version, supervisor, agents, journal
        case updatedAt = "updated_at"
    }
}
