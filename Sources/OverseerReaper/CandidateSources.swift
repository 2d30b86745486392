import Foundation
import OverseerCgroup
import OverseerProcess
import OverseerRegistry

/// Who wrote a registry, and whether its agents may be reaped now.
struct OwnerState {
    /// The owner's pid, protected while it lives.
    var livePID: Int32?
    /// Entries that are not handed off may be reaped (owner dead or its heartbeat stale).
    var ownerGone: Bool
    var reason: String
}

/// Candidates from an Overseer registry.
enum OverseerCandidates {
    /// The entry's cgroup, trusted only when it is an `agents/<id>` directory inside the
    /// cgroup v2 hierarchy: a registry line can never point the reaper at another cgroup.
    static func agentCgroup(_ path: String?, id: String, hierarchy: CgroupHierarchy? = .current()) -> Cgroup? {
        guard let path, let hierarchy, hierarchy.contains(path), !id.isEmpty, !id.contains("/") else { return nil }
        let cgroup = Cgroup(path: path)
        guard cgroup.name == id, cgroup.parent?.name == "agents" else { return nil }
        return cgroup
    }

    static func from(_ document: RegistryDocument, staleAfter: Double, now: Double) -> (candidates: [ReapCandidate], protectedPIDs: Set<Int32>) {
        let current = document.supervisor
        var protected: Set<Int32> = []
        var candidates: [ReapCandidate] = []
        for entry in document.agents {
            let owner = entry.owner ?? current?.identity
            let state = ownerState(owner: owner, current: current, staleAfter: staleAfter, now: now)
            if let pid = state.livePID { protected.insert(pid) }
            let reapable = entry.state == .dispatchFailed || state.ownerGone
            candidates.append(ReapCandidate(
                name: entry.name, id: entry.id, incarnation: entry.incarnation,
                // The lineage the supervisor recorded counts as roots: each is proven by identity,
                // and what left the tree (env -i after a double fork, a rewritten title) is found.
                roots: (entry.roots + (entry.lineage ?? [])).map { .identity($0) },
                reapable: reapable,
                leftAloneReason: reapable ? nil : state.reason,
                cgroup: Self.agentCgroup(entry.cgroup, id: entry.id)
            ))
        }
        if let current, current.identity.liveness() == .alive { protected.insert(current.identity.pid) }
        return (candidates, protected)
    }

    static func ownerState(owner: ProcessIdentity?, current: SupervisorRecord?, staleAfter: Double, now: Double) -> OwnerState {
        guard let owner else { return OwnerState(livePID: nil, ownerGone: true, reason: "no supervisor") }
        guard owner.liveness() == .alive else { return OwnerState(livePID: nil, ownerGone: true, reason: "supervisor gone") }
        guard let current, current.identity == owner else {
            return OwnerState(livePID: owner.pid, ownerGone: false, reason: "supervisor alive")
        }
        let age = now - current.heartbeatAt
        if age > staleAfter {
            return OwnerState(livePID: owner.pid, ownerGone: true, reason: String(format: "supervisor heartbeat stale (%.0fs)", age))
        }
        return OwnerState(livePID: owner.pid, ownerGone: false, reason: current.status == .stopping ? "supervisor stopping" : "supervisor alive")
    }
}

/// Candidates from a factory-sdk registry (read-only; never rewritten).
enum FactoryCandidates {
    static func from(_ registry: FactoryRegistry, heartbeat: FactoryHeartbeat?, staleAfter: Double, now: Double) -> (candidates: [ReapCandidate], protectedPIDs: Set<Int32>) {
        // The orchestrator is alive and fresh when its pid runs and its latest word is recent.
        let pid = Int32(heartbeat?.pid ?? registry.pid ?? 0)
        let updatedMs = heartbeat?.updatedAtMs ?? registry.updatedAtMs
        let alive = pid > 1 && ProcStat.isRunning(pid: pid)
        let age = updatedMs.map { now - Double($0) / 1000 } ?? .infinity
        let stopping = heartbeat?.status == "stopping"
        let fresh = alive && age <= staleAfter
        let reason = !alive ? "orchestrator gone" : (age > staleAfter ? "orchestrator heartbeat stale" : (stopping ? "orchestrator stopping" : "orchestrator alive"))
        let candidates = registry.agents.map { agent -> ReapCandidate in
            var claims: [RootClaim] = []
            var claimed: Set<Int32> = []
            for process in agent.processes ?? [] where process.agentName == nil || process.agentName == agent.name {
                let processPID = Int32(process.pid)
                if let text = process.startTime, !text.isEmpty {
                    claims.append(.lstart(pid: processPID, text: text, cmdline: process.cmdline?.arguments))
                } else {
                    claims.append(.bare(pid: processPID))
                }
                claimed.insert(processPID)
            }
            for listed in agent.pids ?? [] where !claimed.contains(Int32(listed)) {
                claims.append(.bare(pid: Int32(listed)))
            }
            return ReapCandidate(name: agent.name, id: nil, incarnation: nil, roots: claims, reapable: !fresh, leftAloneReason: fresh ? reason : nil)
        }
        return (candidates, alive ? [pid] : [])
    }
}
