/// One message for one agent, as persisted. JSON keys are snake_case; times are epoch seconds.
public struct Delivery: Codable, Sendable, Equatable {
    /// Client-chosen identifier, unique across the store.
    public var id: String
    /// Name of the recipient agent.
    public var agent: String
    /// The agent incarnation the text was injected into; nil until injection starts.
    public var incarnation: String?
    /// The text typed into the PTY.
    public var text: String
    /// Whether a carriage return follows the text.
    public var submit: Bool
    /// Whether ESC is sent before the text.
    public var interrupt: Bool
    /// Whether the delivery stays queued when the agent exits, for its next incarnation.
    public var awaitNextIncarnation: Bool
    /// When it may be typed: at its turn, or only once the agent is idle.
    public var when: DeliveryTiming
    /// Current state.
    public var state: DeliveryState
    /// Which check reached the verdict (`screen`, `echo`, `timeout_fallback`); nil before one.
    public var verification: DeliveryVerification?
    /// What that check saw (the screen lines that matched); nil when nothing could be shown.
    public var evidence: DeliveryEvidence?
    /// Why the delivery reached its current state (failure, eviction, interruption, ...).
    public var reason: String?
    /// Number of failed write attempts (each one a `retried` event, or the final `failed`).
    public var attempts: Int
    /// Global FIFO order: larger means enqueued later. Never reused.
    public var sequence: Int64
    /// When it was first persisted.
    public var createdAt: Double
    /// When it last changed.
    public var updatedAt: Double
    /// When its bytes were all written; nil until `injected`.
    public var injectedAt: Double?
    /// Every state and event, oldest first; nil when loaded without history.
    public var history: [DeliveryHistoryEntry]?

    /// Creates a delivery value; the store builds these, tests and callers may too.
    public init(
        id: String, agent: String, incarnation: String? = nil, text: String,
        submit: Bool = true, interrupt: Bool = false, awaitNextIncarnation: Bool = false, when: DeliveryTiming = .now,
        state: DeliveryState, verification: DeliveryVerification? = nil, evidence: DeliveryEvidence? = nil, reason: String? = nil,
        attempts: Int = 0, sequence: Int64, createdAt: Double, updatedAt: Double,
        injectedAt: Double? = nil, history: [DeliveryHistoryEntry]? = nil
    ) {
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

/// One line of a delivery's history: a state it entered, or an event (`retried`, and the
/// injection's steps: `waiting_for_ready`, `waiting_for_idle`, `typed`, `enter_pressed_again`, `submitted`).
public struct DeliveryHistoryEntry: Codable, Sendable, Equatable {
    /// A `DeliveryState` raw value, or `retried`.
    public var event: String
    /// When it happened, epoch seconds.
    public var at: Double
    /// Why, when there is a reason.
    public var reason: String?

    /// The history event name for a write error that sent the delivery back to `queued`.
    public static let retried = "retried"
    /// Steps of an injection that change no state, each with its reason.
    public static let waitingForReady = "waiting_for_ready"
    public static let waitingForIdle = "waiting_for_idle"
    public static let typed = "typed"
    public static let enterPressedAgain = "enter_pressed_again"
    public static let submitted = "submitted"

    /// Creates a history entry.
    public init(event: String, at: Double, reason: String? = nil) {
        self.event = event
        self.at = at
        self.reason = reason
    }
}
