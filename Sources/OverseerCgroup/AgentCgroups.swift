/// The cgroup subtree the supervisor manages: the supervisor itself in `supervisor/` (cgroup
/// v2 keeps processes out of inner nodes) and each agent in `agents/<id>/`, so an agent's
/// whole tree is one `cgroup.kill` away, whatever it forks, daemonizes or re-parents.
public struct AgentCgroups: Sendable, Equatable {
    /// The subtree's root: the service's own delegated cgroup, or the configured directory.
    public let root: Cgroup

    public init(root: Cgroup) {
        self.root = root
    }

    public var supervisor: Cgroup { root.child("supervisor") }
    public var agents: Cgroup { root.child("agents") }

    /// Where the agent with this id lives.
    public func cgroup(forAgent id: String) -> Cgroup { agents.child(id) }

    /// Chooses the subtree from the `cgroup_root` setting: `off` → none; `auto` → the
    /// caller's cgroup when systemd delegated it (or its parent, when the caller already sits
    /// in a `supervisor` leaf of a delegated cgroup); a path → that directory, which must
    /// exist inside the cgroup v2 hierarchy. Returns nil with the reason when there is none.
    public static func select(_ setting: String, hierarchy: CgroupHierarchy? = .current()) throws(CgroupError) -> (cgroups: AgentCgroups?, reason: String) {
        if setting == "off" { return (nil, "cgroup_root is off") }
        guard let hierarchy else {
            if setting == "auto" { return (nil, "no cgroup v2 hierarchy is mounted") }
            throw .noUnifiedHierarchy
        }
        if setting != "auto" {
            let chosen = Cgroup(path: setting)
            guard hierarchy.contains(chosen.path) else { throw .notInHierarchy(path: setting) }
            guard chosen.exists else { throw .missing(path: chosen.path) }
            return (AgentCgroups(root: chosen), "cgroup_root is set")
        }
        guard let own = hierarchy.cgroup(of: 0) else { return (nil, "this process's cgroup v2 membership is unknown") }
        if CgroupHierarchy.isDelegated(own) { return (AgentCgroups(root: own), "systemd delegated \(own.path)") }
        if own.name == "supervisor", let parent = own.parent, CgroupHierarchy.isDelegated(parent) {
            return (AgentCgroups(root: parent), "systemd delegated \(parent.path)")
        }
        return (nil, "\(own.path) is not delegated (Delegate=yes sets its trusted.delegate attribute)")
    }

    /// Takes the subtree over: creates `supervisor/` and `agents/`, moves the supervisor
    /// process (pid 0: the caller) there, and removes agent cgroups left empty by an earlier
    /// instance. Returns the removed cgroups. Non-empty leftovers stay for the reaper.
    @discardableResult
    public func adopt(pid: Int32 = 0) throws(CgroupError) -> [Cgroup] {
        try supervisor.create()
        try agents.create()
        try supervisor.attach(pid: pid)
        var removed: [Cgroup] = []
        for stale in (try? agents.children()) ?? [] {
            guard let populated = try? stale.isPopulated(), !populated else { continue }
            if (try? stale.remove()) != nil { removed.append(stale) }
        }
        return removed
    }
}

extension Cgroup {
    /// The cgroup above this one (nil at the file system root).
    public var parent: Cgroup? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return Cgroup(path: String(path[..<slash]))
    }
}
