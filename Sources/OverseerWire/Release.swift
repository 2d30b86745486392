/// Answer to `POST /v1/agents/{name}/release`.
public struct ReleaseView: Codable, Sendable {
    public var agent: String
    public var incarnation: String
    public var report: KillReportView
    /// Processes adopted during the release that no agent could be tied to (absent: none).
    public var unattributedOrphans: [OrphanView]?

    public init(agent: String, incarnation: String, report: KillReportView, unattributedOrphans: [OrphanView] = []) {
        self.agent = agent
        self.incarnation = incarnation
        self.report = report
        self.unattributedOrphans = unattributedOrphans.isEmpty ? nil : unattributedOrphans
    }

    enum CodingKeys: String, CodingKey {
        case agent, incarnation, report
        case unattributedOrphans = "unattributed_orphans"
    }
}

/// What a whole-tree kill did: every process signalled, what was skipped and why, survivors.
public struct KillReportView: Codable, Sendable {
    /// Why a process belonged to the tree.
    public enum Membership: String, Codable, Sendable {
        case root, descendant, session, processGroup = "process_group", marker, cgroup, lineage
    }

    /// How one signalled process ended.
    public enum Outcome: String, Codable, Sendable {
        case terminated, killed, exited, survived
    }

    /// Why a process was not signalled.
    public enum SkipReason: String, Codable, Sendable {
        case protectedPID = "protected pid"
        case identityMismatch = "identity mismatch"
        case notRunning = "not running"
    }

    /// One process the engine acted on.
    public struct Process: Codable, Sendable, Equatable {
        public var identity: ProcessIdentityView
        public var comm: String
        public var reason: Membership
        public var signals: [String]
        public var outcome: Outcome

        public init(identity: ProcessIdentityView, comm: String, reason: Membership, signals: [String], outcome: Outcome) {
            self.identity = identity
            self.comm = comm
            self.reason = reason
            self.signals = signals
            self.outcome = outcome
        }
    }

    /// One process left alone, and why.
    public struct Skipped: Codable, Sendable, Equatable {
        public var pid: Int32
        public var identity: ProcessIdentityView?
        public var comm: String?
        public var reason: SkipReason

        public init(pid: Int32, identity: ProcessIdentityView?, comm: String?, reason: SkipReason) {
            self.pid = pid
            self.identity = identity
            self.comm = comm
            self.reason = reason
        }
    }

    /// What happened to the agent's cgroup.
    public struct Cgroup: Codable, Sendable, Equatable {
        public var path: String
        public var killed: Bool
        public var removed: Bool
        public var note: String?

        public init(path: String, killed: Bool, removed: Bool, note: String?) {
            self.path = path
            self.killed = killed
            self.removed = removed
            self.note = note
        }
    }

    public var processes: [Process]
    public var skipped: [Skipped]
    public var survivors: [ProcessIdentityView]
    public var rescans: Int
    public var durationSeconds: Double
    /// True only when every process of the tree was verified gone.
    public var clean: Bool
    public var cgroup: Cgroup?
    /// Why the tree could not be proved gone beyond the survivors named (absent when it was).
    public var problems: [String]?

    public init(processes: [Process], skipped: [Skipped], survivors: [ProcessIdentityView], rescans: Int, durationSeconds: Double, clean: Bool, cgroup: Cgroup?, problems: [String]? = nil) {
        self.problems = problems
        self.processes = processes
        self.skipped = skipped
        self.survivors = survivors
        self.rescans = rescans
        self.durationSeconds = durationSeconds
        self.clean = clean
        self.cgroup = cgroup
    }

    enum CodingKeys: String, CodingKey {
        case processes, skipped, survivors, rescans, clean, cgroup, problems
        case durationSeconds = "duration_seconds"
    }
}
