/// The issue a dispatch works on (any of its references).
public struct IssueReference: Codable, Sendable, Equatable {
    public var uuid: String?
    public var key: String?
    public var path: String?

    public init(uuid: String? = nil, key: String? = nil, path: String? = nil) {
        self.uuid = uuid
        self.key = key
        self.path = path
    }
}

/// Body of `POST /v1/dispatches`: the unit of work a group of agents is spawned for.
public struct DispatchRequest: Codable, Sendable, Equatable {
    public var issue: IssueReference?
    public var sessionRef: String?
    public var role: String?

    public init(issue: IssueReference? = nil, sessionRef: String? = nil, role: String? = nil) {
        self.issue = issue
        self.sessionRef = sessionRef
        self.role = role
    }

    enum CodingKeys: String, CodingKey {
        case issue, role
        case sessionRef = "session_ref"
    }
}

/// A dispatch and the agents spawned into it.
public struct DispatchView: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case open, failed, completed }

    public var id: String
    public var issue: IssueReference?
    public var sessionRef: String?
    public var role: String?
    public var state: State
    public var agents: [String]
    public var createdAt: Double

    public init(id: String, issue: IssueReference?, sessionRef: String?, role: String?, state: State, agents: [String], createdAt: Double) {
        self.id = id
        self.issue = issue
        self.sessionRef = sessionRef
        self.role = role
        self.state = state
        self.agents = agents
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, issue, role, state, agents
        case sessionRef = "session_ref"
        case createdAt = "created_at"
    }
}

/// Answer to `GET /v1/dispatches`.
public struct DispatchList: Codable, Sendable {
    public var dispatches: [DispatchView]

    public init(dispatches: [DispatchView]) {
        self.dispatches = dispatches
    }
}

/// Answer to `POST /v1/dispatches/{id}/fail`: which agents were handed to the reaper, and
/// that the handoff is on disk (it is answered only after the registry write).
public struct HandoffView: Codable, Sendable, Equatable {
    public var dispatch: String
    public var agents: [String]
    /// False when the dispatch had no agents: nothing to hand off.
    public var handoff: Bool
    public var persisted: Bool

    public init(dispatch: String, agents: [String], handoff: Bool, persisted: Bool) {
        self.dispatch = dispatch
        self.agents = agents
        self.handoff = handoff
        self.persisted = persisted
    }
}
