import OverseerRegistry

/// Body of `POST /v1/dispatches`: the unit of work a group of agents is spawned for.
public struct DispatchRequest: Codable, Sendable {
    public var issue: IssueRef?
    public var sessionRef: String?
    public var role: String?

    public init(issue: IssueRef? = nil, sessionRef: String? = nil, role: String? = nil) {
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
public struct DispatchInfo: Codable, Sendable {
    public enum State: String, Codable, Sendable { case open, failed, completed }

    public var id: String
    public var issue: IssueRef?
    public var sessionRef: String?
    public var role: String?
    public var state: State
    public var agents: [String]
    public var createdAt: Double

    enum CodingKeys: String, CodingKey {
        case id, issue, role, state, agents
        case sessionRef = "session_ref"
        case createdAt = "created_at"
    }
}

/// Answer to `POST /v1/dispatches/{id}/fail`: which agents were handed to the reaper, and
/// that the handoff is on disk (it is answered only after the registry write).
public struct HandoffResult: Codable, Sendable {
    public var dispatch: String
    public var agents: [String]
    /// False when the dispatch had no agents: nothing to hand off.
    public var handoff: Bool
    public var persisted: Bool
}
