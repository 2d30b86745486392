import Foundation
import OverseerLineage
import OverseerProcess
import OverseerPTY
import OverseerWire
#if canImport(Glibc)
import Glibc
#endif

/// The processes the supervisor has adopted as child subreaper: its children that are no
/// agent's root (their own parent exited and the kernel re-parented them here). Each is tied
/// to the live agent whose tree it came from, by the strongest evidence there is: the
/// kernel's fork lineage, else the agent's `OVERSEER_AGENT_ID` in its environment, else the
/// agent's cgroup; what none of them ties is reported unattributed, never dropped.
struct OrphanCensus {
    /// Live agents: id → name, and cgroup path → id.
    let agents: [String: String]
    let cgroups: [String: String]
    let roots: Set<Int32>
    let lineage: LineageTracker?
    let supervisorPID: Int32

    init(agents: [AgentInfo], lineage: LineageTracker?, supervisorPID: Int32 = getpid()) {
        self.agents = Dictionary(agents.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        self.cgroups = Dictionary(agents.compactMap { info in info.cgroup.map { ($0, info.id) } }, uniquingKeysWith: { first, _ in first })
        self.roots = Set(agents.map(\.pid))
        self.lineage = lineage
        self.supervisorPID = supervisorPID
    }

    /// Every adopted process alive in `snapshot` (blocking: reads /proc).
    func take(_ snapshot: ProcessSnapshot = .capture()) -> [OrphanView] {
        snapshot.processes.values
            .filter { $0.ppid == supervisorPID && !roots.contains($0.pid) && !$0.state.isExited }
            .sorted { $0.pid < $1.pid }
            .compactMap { stat in
                guard let identity = snapshot.identity(of: stat.pid) else { return nil }
                let (id, how) = attribute(identity)
                return OrphanView(
                    identity: ProcessIdentityView(pid: identity.pid, startTime: identity.startTime, bootID: identity.bootID),
                    comm: stat.comm, cmdline: ProcessSnapshot.cmdline(of: stat.pid) ?? [],
                    agent: id.flatMap { agents[$0] }, agentID: id, attributedBy: how
                )
            }
    }

    private func attribute(_ identity: ProcessIdentity) -> (String?, OrphanView.Attribution?) {
        if let id = lineage?.agent(of: identity), agents[id] != nil { return (id, .lineage) }
        if let id = Self.marker(of: identity.pid), agents[id] != nil { return (id, .marker) }
        if let id = cgroupAgent(of: identity.pid) { return (id, .cgroup) }
        return (nil, nil)
    }

    /// The value of `OVERSEER_AGENT_ID` in the process's environment.
    static func marker(of pid: Int32) -> String? {
        guard let bytes = try? ProcFile.readBytes("/proc/\(pid)/environ") else { return nil }
        let prefix = Array((AgentEnvironment.agentIDVariable + "=").utf8)
        for entry in bytes.split(separator: 0, omittingEmptySubsequences: true) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }

    /// The agent whose cgroup (v2 line `0::PATH` of /proc/PID/cgroup) holds the process.
    private func cgroupAgent(of pid: Int32) -> String? {
        guard !cgroups.isEmpty, let text = try? ProcFile.readString("/proc/\(pid)/cgroup") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let relative = String(line.dropFirst(3))
            if let id = cgroups.first(where: { $0.key.hasSuffix(relative) && !relative.isEmpty && relative != "/" })?.value { return id }
        }
        return nil
    }
}
