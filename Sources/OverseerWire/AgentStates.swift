/// An agent's state as its screen shows it (`GET /v1/agents/{name}/state`, and inside
/// `AgentView` without `explain`).
public struct AgentStateView: Codable, Sendable, Equatable {
    /// The states, in the order people read them.
    public static let states = ["starting", "idle", "working", "blocked", "exited"]

    /// `starting`, `idle`, `working`, `blocked` or `exited`.
    public var state: String
    /// Seconds since the epoch when the agent entered this state.
    public var since: Double
    /// The profile whose rules decide it.
    public var profile: String
    /// The rule that matched; nil for `starting`, `exited` and the profile's fallback.
    public var rule: String?
    /// The screen lines the rule matched, as `row N: text` (or `title: text`).
    public var evidence: [String]
    /// The program has taken the terminal: typing reaches it.
    public var ready: Bool
    /// One sentence on why.
    public var reason: String
    /// What `overseer state NAME --explain` prints (only from the state route).
    public var explain: String?

    public init(state: String, since: Double, profile: String, rule: String?, evidence: [String], ready: Bool, reason: String, explain: String?) {
        self.state = state
        self.since = since
        self.profile = profile
        self.rule = rule
        self.evidence = evidence
        self.ready = ready
        self.reason = reason
        self.explain = explain
    }
}

/// The state part of an `agent_state` event: the new state and the one it replaced.
public struct AgentStateEventInfo: Codable, Sendable, Equatable {
    public var state: String
    public var previous: String
    public var profile: String
    public var rule: String?
    public var evidence: [String]
    public var reason: String

    public init(state: String, previous: String, profile: String, rule: String?, evidence: [String], reason: String) {
        self.state = state
        self.previous = previous
        self.profile = profile
        self.rule = rule
        self.evidence = evidence
        self.reason = reason
    }
}
