import OverseerCgroup
import OverseerProcess

/// What to kill: the tree's root processes (by identity); optionally the environment marker
/// every descendant inherits (`OVERSEER_AGENT_ID=<id>`), which finds double-forked, `setsid`
/// daemons that have left the ppid tree; and optionally the agent's own cgroup, whose every
/// member belongs to the tree and which is killed with `cgroup.kill` (atomic against forks)
/// and removed afterwards; and optionally the lineage the kernel's fork events recorded,
/// which finds what left every other trail (title rewritten over its environment, `env -i`
/// after a double fork, a pid hopper).
public struct KillTarget: Sendable {
    public var roots: [ProcessIdentity]
    public var marker: EnvironmentMarker?
    public var cgroup: Cgroup?
    public var lineage: (any LineageSource)?

    public init(roots: [ProcessIdentity], marker: EnvironmentMarker? = nil, cgroup: Cgroup? = nil, lineage: (any LineageSource)? = nil) {
        self.roots = roots
        self.marker = marker
        self.cgroup = cgroup
        self.lineage = lineage
    }
}

/// The processes born into one tree, as the kernel reported each fork (OverseerLineage).
public protocol LineageSource: Sendable {
    /// The tree's processes alive now, as far as the source knows (each re-verified by the
    /// engine against its scan: pid, start time and boot id).
    func members() -> [ProcessIdentity]
    /// From now on, every process born into the tree is SIGKILLed as its fork is reported
    /// (the engine calls this when it reaches SIGKILL: a pid hopper cannot outrun it then).
    func condemn()
}

/// An exact `NAME=VALUE` entry in /proc/PID/environ.
public struct EnvironmentMarker: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

}

/// Tuning and safety settings for one kill.
public struct KillOptions: Sendable {
    /// Time between SIGTERM and SIGKILL.
    public var graceSeconds: Double
    /// Time allowed for SIGKILLed processes to disappear before they count as survivors.
    public var settleSeconds: Double
    /// Pids never signalled nor descended into. The caller, its ancestors and pid 1 are always added.
    public var protected: Set<Int32>
    /// Reap members that are the caller's own children once they die (for callers without a
    /// SIGCHLD reaper of their own; the supervisor has one and leaves this off).
    public var reapOwnChildren: Bool
    /// Upper bound on rescans in each phase (a fork storm converges well before).
    public var maxRescans: Int
    /// Send SIGHUP right after SIGTERM (like systemd's SendSIGHUP=): interactive shells
    /// ignore SIGTERM but exit when told their terminal is gone.
    public var sendSIGHUP: Bool

    public init(graceSeconds: Double = 5, settleSeconds: Double = 3, protected: Set<Int32> = [], reapOwnChildren: Bool = false, maxRescans: Int = 200, sendSIGHUP: Bool = true) {
        self.sendSIGHUP = sendSIGHUP
        self.graceSeconds = graceSeconds
        self.settleSeconds = settleSeconds
        self.protected = protected
        self.reapOwnChildren = reapOwnChildren
        self.maxRescans = maxRescans
    }
}

/// The set of pids no kill may touch.
public enum ProtectedPIDs {
    /// The caller itself, all its ancestors, and pid 1.
    public static func callerAndAncestors(snapshot: ProcessSnapshot? = nil) -> Set<Int32> {
        let me = getpid()
        var result: Set<Int32> = [1, me]
        if let snapshot {
            result.formUnion(snapshot.ancestors(of: me))
        } else {
            var pid = me
            while pid > 1, let stat = try? ProcStat.read(pid: pid) {
                result.insert(stat.ppid)
                pid = stat.ppid
            }
        }
        result.remove(0)
        return result
    }

    /// Reads pids from pidfiles (first token of each file). Missing or malformed files are
    /// returned as problems, not errors: a broker that is down needs no protection.
    public static func fromPidfiles(_ paths: [String]) -> (pids: Set<Int32>, problems: [String]) {
        var pids: Set<Int32> = []
        var problems: [String] = []
        for path in paths {
            guard let text = try? ProcFile.readString(path) else {
                problems.append("pidfile \(path): cannot be read")
                continue
            }
            let token = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init) ?? ""
            guard let pid = Int32(token), pid > 0 else {
                problems.append("pidfile \(path): does not hold a pid")
                continue
            }
            pids.insert(pid)
        }
        return (pids, problems)
    }
}

#if canImport(Glibc)
import Glibc
#endif
