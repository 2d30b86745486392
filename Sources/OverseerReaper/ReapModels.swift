import OverseerCgroup
import OverseerKill
import OverseerProcess

/// How a registry names one of an agent's root processes.
public enum RootClaim: Sendable, Equatable {
    /// pid + start time + boot id: provable.
    case identity(ProcessIdentity)
    /// pid + `ps -o lstart=` text (factory registries): provable to the second, so accepted
    /// only when the recorded command line matches too (without one: when the live command
    /// line names the agent), since a pid can be recycled within the same second.
    case lstart(pid: Int32, text: String, cmdline: [String]?)
    /// A bare pid: accepted only when the process's command line names the agent.
    case bare(pid: Int32)

    var pid: Int32 {
        switch self {
        case .identity(let identity): identity.pid
        case .lstart(let pid, _, _), .bare(let pid): pid
        }
    }
}

/// One stranded-agent candidate, whatever registry shape it came from.
public struct ReapCandidate: Sendable {
    /// The agent's name (for reports and the `--agent-name` scan).
    public var name: String
    /// Registry entry id (the OVERSEER_AGENT_ID marker value), when there is one.
    public var id: String?
    public var incarnation: String?
    public var roots: [RootClaim]
    /// Why this entry may be reaped now, or nil when it must be left alone (and why).
    public var reapable: Bool
    public var leftAloneReason: String?
    /// The agent's own cgroup, when its registry entry names a valid one.
    public var cgroup: Cgroup? = nil

    public var marker: EnvironmentMarker? {
        id.map { EnvironmentMarker(name: "OVERSEER_AGENT_ID", value: $0) }
    }
}

/// Why the reaper did not take a live process for a candidate's. Reported in `skipped`;
/// `protected pid` always wins over any other reason.
public enum ReapRefusal: String, Sendable, Equatable {
    /// On the protected list (brokers, the reaper and its ancestors, live supervisors, pid 1).
    case protectedPID = "protected pid"
    /// The pid is held by another process than the one recorded (start time or command line differ).
    case identityMismatch = "identity mismatch"
    /// A kernel thread or kthreadd (PF_KTHREAD): never signalled.
    case kernelThread = "kernel thread"
    /// A live `overseer serve`, or a process in its tree.
    case liveSupervisor = "live supervisor"
    /// Carries another agent's OVERSEER_AGENT_ID, lives in another agent's cgroup, or is in
    /// the tree of another registry entry.
    case otherAgent = "another agent's process"
}

/// A live process the resolver refused, and why.
struct Refusal: Equatable {
    let pid: Int32
    let identity: ProcessIdentity?
    let comm: String?
    let reason: ReapRefusal
}

/// What resolving a candidate against /proc found.
enum Resolution {
    /// Live root processes to kill.
    case roots([ProcessIdentity], skipped: [Refusal])
    /// Nothing of the agent is alive: its tree is gone.
    case gone(skipped: [Refusal])
    /// Several unrelated processes match its name: killing any could be a wrong kill.
    case ambiguous([Int32])
}

/// What happened to one agent's cgroup during a pass.
public struct ReapCgroup: Codable, Sendable, Equatable {
    public var agent: String
    public var result: CgroupKillResult

    public init(agent: String, result: CgroupKillResult) {
        self.agent = agent
        self.result = result
    }
}

/// A process the reaper killed, attributed to its agent.
public struct ReapedProcess: Codable, Sendable, Equatable {
    public var agent: String
    public var pid: Int32
    public var identity: ProcessIdentity
    public var comm: String
    public var signals: [String]
    public var outcome: KillOutcome
}

/// A process (or entry) the reaper did not touch, and why.
public struct ReapSkip: Codable, Sendable, Equatable {
    public var agent: String?
    public var pid: Int32?
    public var reason: String
}

/// An entry the reaper could not resolve safely.
public struct ReapUnresolved: Codable, Sendable, Equatable {
    public var agent: String
    public var reason: String
    public var attempts: Int
}

/// A survivor after a kill, attributed to its agent.
public struct ReapSurvivor: Codable, Sendable, Equatable {
    public var agent: String
    public var identity: ProcessIdentity
}

/// What one `overseer reap` pass did.
public struct ReapReport: Codable, Sendable {
    public var registry: String
    public var format: String
    public var dryRun: Bool
    public var reaped: [ReapedProcess] = []
    public var skipped: [ReapSkip] = []
    public var survivors: [ReapSurvivor] = []
    public var unresolved: [ReapUnresolved] = []
    /// Entries removed from the registry (trees verified gone).
    public var consumed: [String] = []
    /// Unresolved entries dropped after `unresolved_ttl`.
    public var dropped: [String] = []
    /// Planned kills (dry run only): agent → pids.
    public var plan: [String: [Int32]] = [:]
    /// Agent cgroups acted on (cgroup.kill written, removed, or kept and why).
    public var cgroups: [ReapCgroup] = []
    public var durationSeconds: Double = 0
    /// Whether the registry was read under its lock (a dry run takes none, so what it read
    /// may be changing under the supervisor).
    public var locked: Bool

    enum CodingKeys: String, CodingKey {
        case registry, format, reaped, skipped, survivors, unresolved, consumed, dropped, plan, cgroups, locked
        case dryRun = "dry_run"
        case durationSeconds = "duration_seconds"
    }

    public init(registry: String, format: String, dryRun: Bool) {
        self.registry = registry
        self.format = format
        self.dryRun = dryRun
        self.locked = !dryRun
    }

    /// One line for STATUS= and the journal.
    public var summary: String {
        if dryRun {
            return "dry run (registry read without its lock; nothing created, moved, locked or signalled): would reap \(plan.values.reduce(0) { $0 + $1.count }) processes of \(plan.count) agents"
        }
        var parts = ["reaped \(reaped.count) processes of \(Set(reaped.map(\.agent)).count) agents"]
        let killedWhole = cgroups.filter(\.result.killed).count
        if killedWhole > 0 { parts.append("\(killedWhole) by cgroup.kill") }
        parts.append("\(survivors.count) survivors")
        parts.append("\(unresolved.count) unresolved")
        parts.append("\(skipped.count) skipped")
        return parts.joined(separator: ", ") + String(format: " in %.2fs", durationSeconds)
    }
}

/// Exit codes of `overseer reap`.
public enum ReapExit: Int32 {
    case clean = 0
    case error = 1
    case survivors = 2
    case unresolved = 3
    case refusedInput = 4
    /// No registry at the path looked at (nothing to reap; maybe the wrong `--state-dir`).
    case noRegistry = 5
}
