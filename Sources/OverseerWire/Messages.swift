/// Body of `POST /v1/agents/{name}/messages`. `id` and `text` are optional here so that the
/// server's error names the missing one.
public struct MessageRequest: Codable, Sendable, Equatable {
    /// Client-chosen id, one per message: retries reuse it and never queue a second copy.
    public var id: String?
    public var text: String?
    /// Press Enter after the text (default true).
    public var submit: Bool?
    /// Send ESC before the text (default false).
    public var interrupt: Bool?
    /// Stay queued across the agent's exit, for its next incarnation (default false).
    public var awaitNextIncarnation: Bool?
    /// `"now"` (default): type it at its turn; `"idle"`: only once the agent is idle.
    /// A string here so that the server's error names a bad value.
    public var when: String?

    public init(id: String?, text: String?, submit: Bool? = nil, interrupt: Bool? = nil, awaitNextIncarnation: Bool? = nil, when: String? = nil) {
        self.id = id
        self.text = text
        self.submit = submit
        self.interrupt = interrupt
        self.awaitNextIncarnation = awaitNextIncarnation
        self.when = when
    }

    enum CodingKeys: String, CodingKey {
        case id, text, submit, interrupt, when
        case awaitNextIncarnation = "await_next_incarnation"
    }
}

/// Answer to a message post (202 when queued, 200 when the id was posted before).
public struct MessageAccepted: Codable, Sendable, Equatable {
    public var id: String
    public var state: String
    /// 1-based place among the agent's queued deliveries (nil once it left the queue).
    public var position: Int?
    /// True when this id was posted before: nothing new was queued.
    public var duplicate: Bool
    /// Older deliveries dropped to keep the agent's queue within max_pending_deliveries.
    public var evicted: [String]

    public init(id: String, state: String, position: Int?, duplicate: Bool, evicted: [String]) {
        self.id = id
        self.state = state
        self.position = position
        self.duplicate = duplicate
        self.evicted = evicted
    }
}

/// A delivery (a message for one agent) with its state and, for single queries, its history.
public struct DeliveryView: Codable, Sendable, Equatable {
    /// Where a delivery is in its life.
    public enum State: String, Codable, Sendable, CaseIterable {
        case queued, injecting, injected, verified, unverified, failed, dropped

        /// Verified, unverified, failed and dropped deliveries never change again.
        public var isTerminal: Bool {
            switch self {
            case .queued, .injecting, .injected: false
            case .verified, .unverified, .failed, .dropped: true
            }
        }
    }

    /// Which check reached the verdict.
    public enum Verification: String, Codable, Sendable {
        /// The screen showed the text typed, then gone from the input area: submitted.
        case screen
        /// The text was seen in the output, not on the screen.
        case echo
        /// Nothing could be proved in time.
        case timeoutFallback = "timeout_fallback"
    }

    /// When a delivery may be typed.
    public enum When: String, Codable, Sendable, CaseIterable {
        case now, idle
    }

    /// What the check saw: how it decided (`text`, `placeholder`, `input_cleared`, `echo`)
    /// and the screen lines, as `row N: text`.
    public struct Evidence: Codable, Sendable, Equatable {
        public var kind: String
        public var summary: String
        public var lines: [String]

        public init(kind: String, summary: String, lines: [String]) {
            self.kind = kind
            self.summary = summary
            self.lines = lines
        }
    }

    /// One line of a delivery's history: a state it entered, or the `retried` event.
    public struct HistoryEntry: Codable, Sendable, Equatable {
        public var event: String
        public var at: Double
        public var reason: String?

        public init(event: String, at: Double, reason: String?) {
            self.event = event
            self.at = at
            self.reason = reason
        }
    }

    public var id: String
    public var agent: String
    /// The incarnation the text was typed into; nil until injection starts.
    public var incarnation: String?
    public var text: String
    public var submit: Bool
    public var interrupt: Bool
    public var awaitNextIncarnation: Bool
    public var when: When
    public var state: State
    public var verification: Verification?
    /// The screen lines that proved the verdict (or showed the text stuck in the input).
    public var evidence: Evidence?
    public var reason: String?
    public var attempts: Int
    public var sequence: Int64
    public var createdAt: Double
    public var updatedAt: Double
    public var injectedAt: Double?
    /// Every state and event, oldest first; nil in lists.
    public var history: [HistoryEntry]?

    public init(id: String, agent: String, incarnation: String?, text: String, submit: Bool, interrupt: Bool, awaitNextIncarnation: Bool, when: When = .now, state: State, verification: Verification?, evidence: Evidence? = nil, reason: String?, attempts: Int, sequence: Int64, createdAt: Double, updatedAt: Double, injectedAt: Double?, history: [HistoryEntry]?) {
        self.id = id
        self.agent = agent
        self.incarnation = incarnation
        self.text = text
        self.submit = submit
        self.interrupt = interrupt
        self.awaitNextIncarnation = awaitNextIncarnation
        self.when = when
        self.state = state
        self.verification = verification
        self.evidence = evidence
        self.reason = reason
        self.attempts = attempts
        self.sequence = sequence
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.injectedAt = injectedAt
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case id, agent, incarnation, text, submit, interrupt
        case awaitNextIncarnation = "await_next_incarnation"
        case when
        case state, verification, evidence, reason, attempts, sequence
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case injectedAt = "injected_at"
        case history
    }
}

/// Answer to `GET /v1/agents/{name}/deliveries`: the agent's queued deliveries, oldest first.
public struct DeliveryList: Codable, Sendable {
    public var agent: String
    public var deliveries: [DeliveryView]

    public init(agent: String, deliveries: [DeliveryView]) {
        self.agent = agent
        self.deliveries = deliveries
    }
}
