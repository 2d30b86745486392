import OverseerProcess

/// Why a process was not signalled.
public enum SkipReason: String, Codable, Sendable {
    /// On the protected list (brokers, the caller, its ancestors, pid 1).
    case protectedPID = "protected pid"
    /// The pid is held by a process with another start time (or boot): it was reused.
    case identityMismatch = "identity mismatch"
    /// The process had already exited.
    case notRunning = "not running"
}

/// How one signalled process ended.
public enum KillOutcome: String, Codable, Sendable {
    /// Exited before SIGKILL was needed.
    case terminated
    /// Needed SIGKILL.
    case killed
    /// Exited on its own before any signal reached it.
    case exited
    /// Still alive when the engine gave up.
    case survived
}

/// Why a process belonged to the tree.
public enum MembershipReason: String, Codable, Sendable {
    case root, descendant, session, processGroup = "process_group", marker, cgroup, lineage
}

/// What happened to a target's cgroup.
public struct CgroupKillResult: Codable, Sendable, Equatable {
    /// The cgroup's absolute path.
    public var path: String
    /// Whether `1` was written to its `cgroup.kill`.
    public var killed: Bool
    /// Whether the cgroup was found empty and removed.
    public var removed: Bool
    /// Why it was not killed or removed (protected pid inside, no cgroup.kill, ...).
    public var note: String?

    public init(path: String, killed: Bool, removed: Bool, note: String? = nil) {
        self.path = path
        self.killed = killed
        self.removed = removed
        self.note = note
    }
}

/// One process the engine acted on.
public struct KilledProcess: Codable, Sendable, Equatable {
    public var identity: ProcessIdentity
    public var comm: String
    public var reason: MembershipReason
    public var signals: [String]
    public var outcome: KillOutcome
}

/// One process the engine did not signal, and why.
public struct SkippedProcess: Codable, Sendable, Equatable {
    public var pid: Int32
    public var identity: ProcessIdentity?
    public var comm: String?
    public var reason: SkipReason

    public init(pid: Int32, identity: ProcessIdentity?, comm: String?, reason: SkipReason) {
        self.pid = pid
        self.identity = identity
        self.comm = comm
        self.reason = reason
    }
}

/// Everything a kill did: every pid with identity, signals sent and outcome; what was
/// skipped and why; and the survivors (empty when the tree is verified gone).
public struct KillReport: Codable, Sendable {
    public var processes: [KilledProcess]
    public var skipped: [SkippedProcess]
    public var survivors: [ProcessIdentity]
    public var rescans: Int
    public var durationSeconds: Double
    /// The target's cgroup, when it had one.
    public var cgroup: CgroupKillResult?
    /// Why the engine could not prove the tree gone, beyond the survivors it names: /proc or
    /// a cgroup it could not read, signals it could not send. Empty when all was verified.
    public var problems: [String]

    /// True only when every process of the tree was verified gone.
    public var clean: Bool { survivors.isEmpty && problems.isEmpty }

    public init(processes: [KilledProcess] = [], skipped: [SkippedProcess] = [], survivors: [ProcessIdentity] = [], rescans: Int = 0, durationSeconds: Double = 0, cgroup: CgroupKillResult? = nil, problems: [String] = []) {
        self.cgroup = cgroup
        self.problems = problems
        self.processes = processes
        self.skipped = skipped
        self.survivors = survivors
        self.rescans = rescans
        self.durationSeconds = durationSeconds
    }

    enum CodingKeys: String, CodingKey {
        case processes, skipped, survivors, rescans, clean, cgroup, problems
        case durationSeconds = "duration_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        processes = try c.decode([KilledProcess].self, forKey: .processes)
        skipped = try c.decode([SkippedProcess].self, forKey: .skipped)
        survivors = try c.decode([ProcessIdentity].self, forKey: .survivors)
        rescans = try c.decode(Int.self, forKey: .rescans)
        durationSeconds = try c.decode(Double.self, forKey: .durationSeconds)
        cgroup = try c.decodeIfPresent(CgroupKillResult.self, forKey: .cgroup)
        problems = try c.decodeIfPresent([String].self, forKey: .problems) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(processes, forKey: .processes)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(survivors, forKey: .survivors)
        try c.encode(rescans, forKey: .rescans)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(clean, forKey: .clean)
        try c.encodeIfPresent(cgroup, forKey: .cgroup)
        if !problems.isEmpty { try c.encode(problems, forKey: .problems) }
    }
}
