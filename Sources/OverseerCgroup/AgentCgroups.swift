#if canImport(Glibc)
import Glibc
#endif

/// The cgroup subtree the supervisor manages: each agent in `agents/<id>/`, so an agent's
/// whole tree is one `cgroup.kill` away, whatever it forks, daemonizes or re-parents. In a
/// subtree someone gave it (systemd's `Delegate=yes`, or `cgroup_root = DIR`) the supervisor
/// moves itself into `supervisor/` (cgroup v2 keeps processes out of inner nodes); in a
/// subtree it created itself it stays where it was started.
public struct AgentCgroups: Sendable, Equatable {
    /// Where the subtree came from, which decides who owns its directories.
    public enum Origin: Sendable, Equatable {
        /// systemd delegated the service's cgroup (`Delegate=yes`).
        case delegated
        /// `cgroup_root` names an existing directory.
        case configured
        /// Root on a writable hierarchy with no delegation: `<mount>/overseer/<state key>`,
        /// made by the supervisor and removed by it when it stops with the subtree empty.
        case created
    }

    /// The subtree's root.
    public let root: Cgroup
    public let origin: Origin

    public init(root: Cgroup, origin: Origin = .configured) {
        self.root = root
        self.origin = origin
    }

    public var supervisor: Cgroup { root.child("supervisor") }
    public var agents: Cgroup { root.child("agents") }
    /// Whether the supervisor process lives in `supervisor/` of this subtree.
    public var holdsSupervisor: Bool { origin != .created }

    /// Where the agent with this id lives.
    public func cgroup(forAgent id: String) -> Cgroup { agents.child(id) }

    /// The subtree a supervisor with this state directory creates for itself when nobody
    /// delegated one: `<mount>/overseer/<16 hex digits of the directory's path>`. One per state
    /// directory, so two supervisors on a host never share `agents/`; a top-level node, so it
    /// sits beside systemd's slices rather than inside a unit systemd owns.
    public static func created(in hierarchy: CgroupHierarchy, stateDirectory: String) -> AgentCgroups {
        AgentCgroups(root: Cgroup(path: "\(hierarchy.mountPoint)/overseer/\(stateKey(stateDirectory))"), origin: .created)
    }

    /// FNV-1a (64 bits) of the path, in hex: stable across runs and machines.
    static func stateKey(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in trimmed.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Chooses the subtree from the `cgroup_root` setting: `off` → none; `auto` → the
    /// caller's cgroup when systemd delegated it (or its parent, when the caller already sits
    /// in a `supervisor` leaf of a delegated cgroup), else, for root on a writable hierarchy,
    /// a subtree of its own (`created(in:stateDirectory:)`); a path → that directory, which
    /// must exist inside the cgroup v2 hierarchy. Returns nil with the reason when there is none.
    public static func select(_ setting: String, stateDirectory: String, hierarchy: CgroupHierarchy? = .current(), isRoot: Bool = geteuid() == 0) throws(CgroupError) -> (cgroups: AgentCgroups?, reason: String) {
        if setting == "off" { return (nil, "cgroup_root is off") }
        guard let hierarchy else {
            if setting == "auto" { return (nil, "no cgroup v2 hierarchy is mounted") }
            throw .noUnifiedHierarchy
        }
        if setting != "auto" {
            let chosen = Cgroup(path: setting)
            guard hierarchy.contains(chosen.path) else { throw .notInHierarchy(path: setting) }
            guard chosen.exists else { throw .missing(path: chosen.path) }
            return (AgentCgroups(root: chosen, origin: .configured), "cgroup_root is set")
        }
        guard let own = hierarchy.cgroup(of: 0) else { return (nil, "this process's cgroup v2 membership is unknown") }
        if CgroupHierarchy.isDelegated(own) { return (AgentCgroups(root: own, origin: .delegated), "systemd delegated \(own.path)") }
        if own.name == "supervisor", let parent = own.parent, CgroupHierarchy.isDelegated(parent) {
            return (AgentCgroups(root: parent, origin: .delegated), "systemd delegated \(parent.path)")
        }
        let undelegated = "\(own.path) is not delegated (Delegate=yes sets its trusted.delegate attribute)"
        guard isRoot else { return (nil, "\(undelegated), and only root may create cgroups of its own") }
        guard access(hierarchy.mountPoint, W_OK) == 0 else { return (nil, "\(undelegated), and \(hierarchy.mountPoint) is not writable") }
        return (created(in: hierarchy, stateDirectory: stateDirectory), "\(undelegated); created a subtree of its own")
    }

    /// Takes the subtree over: creates it (and, for a created subtree, `<mount>/overseer`),
    /// moves the supervisor process (pid 0: the caller) into `supervisor/` when the subtree
    /// holds it, and removes agent cgroups left empty by an earlier instance. Returns the
    /// removed cgroups. Non-empty leftovers stay for the reaper. A created subtree without
    /// `cgroup.kill` (kernel before 5.14) is removed again and refused.
    @discardableResult
    public func adopt(pid: Int32 = 0) throws(CgroupError) -> [Cgroup] {
        if origin == .created {
            if let parent = root.parent { try parent.create() }
            try root.create()
        }
        try agents.create()
        if origin == .created, !agents.supportsKill {
            relinquish()
            throw .killUnsupported(path: agents.path)
        }
        if holdsSupervisor {
            try supervisor.create()
            try supervisor.attach(pid: pid)
        }
        return removeEmptyAgentCgroups()
    }

    /// At a clean stop: a created subtree is removed when nothing is left in it (populated
    /// agent cgroups, and the directories above them, stay for the reaper). Subtrees someone
    /// else made are left to their owner. Returns whether the subtree is gone.
    @discardableResult
    public func relinquish() -> Bool {
        guard origin == .created else { return false }
        removeEmptyAgentCgroups()
        _ = rmdir(agents.path)
        _ = rmdir(root.path)
        return !root.exists
    }

    @discardableResult
    private func removeEmptyAgentCgroups() -> [Cgroup] {
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
