/// A lifecycle event, as published on `GET /v1/events` (Server-Sent Events: `id:` is the
/// sequence, `event:` the type, `data:` this object as JSON).
public struct AgentEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case agentSpawned = "agent_spawned"
        case agentExited = "agent_exited"
        case agentReleased = "agent_released"
        case deliveryQueued = "delivery_queued"
        case deliveryInjected = "delivery_injected"
        case deliveryVerified = "delivery_verified"
        case deliveryFailed = "delivery_failed"
        case deliveryDropped = "delivery_dropped"
        /// The agent's state (idle, working, blocked, ...) changed.
        case agentState = "agent_state"
        /// Not an agent's event: events this subscriber should have had are gone (see `lost`).
        case eventsLost = "events_lost"
    }

    public var sequence: UInt64
    public var type: Kind
    public var agent: String
    /// The agent's id and incarnation (a delivery event for an agent not running has none).
    public var agentID: String?
    public var incarnation: String?
    public var pid: Int32?
    public var time: Double
    public var exit: AgentView.Exit?
    /// For releases: processes signalled and survivors.
    public var killed: Int?
    public var survivors: Int?
    /// For delivery events: which delivery, its state, and why.
    public var delivery: DeliveryEventInfo?
    /// For `agent_state`: the new state and the previous one.
    public var agentState: AgentStateEventInfo?
    /// For `events_lost`: which events are gone, and why.
    public var lost: EventsLostInfo?

    public init(sequence: UInt64, type: Kind, agent: String, agentID: String?, incarnation: String?, pid: Int32? = nil, time: Double, exit: AgentView.Exit? = nil, killed: Int? = nil, survivors: Int? = nil, delivery: DeliveryEventInfo? = nil, agentState: AgentStateEventInfo? = nil) {
        self.sequence = sequence
        self.type = type
        self.agent = agent
        self.agentID = agentID
        self.incarnation = incarnation
        self.pid = pid
        self.time = time
        self.exit = exit
        self.killed = killed
        self.survivors = survivors
        self.delivery = delivery
        self.agentState = agentState
    }

    enum CodingKeys: String, CodingKey {
        case sequence, type, agent, incarnation, pid, time, exit, killed, survivors, delivery, lost
        case agentID = "agent_id"
        case agentState = "agent_state"
    }
}

extension AgentEvent {
    /// The `events_lost` event: `count` events after sequence `after` are gone (nil: an
    /// unknown number). Its `sequence` is the last one lost, so a client that reconnects with
    /// it as `Last-Event-ID` continues where the stream does; its `agent` is empty.
    public static func eventsLost(after: UInt64, count: UInt64?, reason: EventsLostInfo.Reason, sequence: UInt64, time: Double) -> AgentEvent {
        var event = AgentEvent(sequence: sequence, type: .eventsLost, agent: "", agentID: nil, incarnation: nil, time: time)
        event.lost = EventsLostInfo(after: after, count: count, reason: reason)
        return event
    }
}

/// The part of an `events_lost` event that says what is gone.
public struct EventsLostInfo: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        /// Older than the replay buffer, or dropped while this subscriber fell behind.
        case overflowed
        /// The `Last-Event-ID` is from an earlier supervisor instance (sequences restart at 1).
        case restarted
    }

    /// The last sequence the subscriber had; the lost ones follow it.
    public var after: UInt64
    /// How many are gone (nil: unknown, after a restart).
    public var count: UInt64?
    public var reason: Reason

    public init(after: UInt64, count: UInt64?, reason: Reason) {
        self.after = after
        self.count = count
        self.reason = reason
    }
}

/// The delivery part of a `delivery_*` event.
public struct DeliveryEventInfo: Codable, Sendable, Equatable {
    public var id: String
    public var state: String
    /// `echo` or `timeout_fallback` (verified and unverified results).
    public var verification: String?
    public var reason: String?
    /// For `delivery_dropped`: the delivery whose arrival evicted this one.
    public var evictedBy: String?

    public init(id: String, state: String, verification: String? = nil, reason: String? = nil, evictedBy: String? = nil) {
        self.id = id
        self.state = state
        self.verification = verification
        self.reason = reason
        self.evictedBy = evictedBy
    }

    enum CodingKeys: String, CodingKey {
        case id, state, verification, reason
        case evictedBy = "evicted_by"
    }
}
