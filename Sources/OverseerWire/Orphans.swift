/// A process the supervisor adopted as child subreaper (its parent exited) that is not an
/// agent's root, with the agent whose tree it came from when that can be told.
public struct OrphanView: Codable, Sendable, Equatable {
    /// How it was tied to an agent: the kernel's fork lineage (exact), the agent's
    /// `OVERSEER_AGENT_ID` in its environment, or the agent's cgroup.
    public enum Attribution: String, Codable, Sendable {
        case lineage, marker, cgroup
    }

    public var identity: ProcessIdentityView
    public var comm: String
    public var cmdline: [String]
    /// The live agent it belongs to (nil: unattributed).
    public var agent: String?
    public var agentID: String?
    public var attributedBy: Attribution?

    public init(identity: ProcessIdentityView, comm: String, cmdline: [String], agent: String?, agentID: String?, attributedBy: Attribution?) {
        self.identity = identity
        self.comm = comm
        self.cmdline = cmdline
        self.agent = agent
        self.agentID = agentID
        self.attributedBy = attributedBy
    }

    enum CodingKeys: String, CodingKey {
        case identity, comm, cmdline, agent
        case agentID = "agent_id"
        case attributedBy = "attributed_by"
    }
}

/// `GET /v1/orphans`: every adopted process alive now.
public struct OrphanList: Codable, Sendable, Equatable {
    public var orphans: [OrphanView]
    /// How many of them no agent could be tied to.
    public var unattributed: Int

    public init(orphans: [OrphanView]) {
        self.orphans = orphans
        self.unattributed = orphans.filter { $0.attributedBy == nil }.count
    }
}
