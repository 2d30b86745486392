/// A delivery as a client posts it, before it is persisted.
public struct NewDelivery: Codable, Sendable, Equatable {
    /// Client-chosen identifier; re-posting it never queues a second copy.
    public var id: String
    /// Name of the recipient agent.
    public var agent: String
    /// The text to type.
    public var text: String
    /// Whether a carriage return follows the text (default true).
    public var submit: Bool
    /// Whether ESC is sent before the text (default false).
    public var interrupt: Bool
    /// Whether to stay queued across the agent's exit, for its next incarnation (default false).
    public var awaitNextIncarnation: Bool
    /// When it may be typed (default `now`).
    public var when: DeliveryTiming

    /// Longest accepted id, in UTF-8 bytes.
    public static let maximumIDLength = 256

    /// Creates a request.
    public init(
        id: String, agent: String, text: String, submit: Bool = true,
        interrupt: Bool = false, awaitNextIncarnation: Bool = false, when: DeliveryTiming = .now
    ) {
        self.id = id
        self.agent = agent
        self.text = text
        self.submit = submit
        self.interrupt = interrupt
        self.awaitNextIncarnation = awaitNextIncarnation
        self.when = when
    }

    enum CodingKeys: String, CodingKey {
        case id, agent, text, submit, interrupt, when
        case awaitNextIncarnation = "await_next_incarnation"
    }

    /// Decodes a request; `submit`, `interrupt`, `await_next_incarnation` and `when` are optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        agent = try container.decode(String.self, forKey: .agent)
        text = try container.decode(String.self, forKey: .text)
        submit = try container.decodeIfPresent(Bool.self, forKey: .submit) ?? true
        interrupt = try container.decodeIfPresent(Bool.self, forKey: .interrupt) ?? false
        awaitNextIncarnation = try container.decodeIfPresent(Bool.self, forKey: .awaitNextIncarnation) ?? false
        when = try container.decodeIfPresent(DeliveryTiming.self, forKey: .when) ?? .now
    }

    /// Throws when the id or agent is empty, the id is too long, or either holds a control character.
    public func validate() throws(DeliveryError) {
        if id.isEmpty {
            throw .invalidRequest(field: "id", reason: "must not be empty")
        }
        if id.utf8.count > Self.maximumIDLength {
            throw .invalidRequest(field: "id", reason: "is \(id.utf8.count) bytes long, the limit is \(Self.maximumIDLength)")
        }
        if agent.isEmpty {
            throw .invalidRequest(field: "agent", reason: "must not be empty")
        }
        for (field, value) in [("id", id), ("agent", agent)]
        where value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalidRequest(field: field, reason: "must not contain control characters")
        }
    }

    /// The fields in which `existing` differs from this request (empty when it is a true re-post).
    func differences(from existing: Delivery) -> [String] {
        var fields: [String] = []
        if existing.agent != agent { fields.append("agent") }
        if existing.text != text { fields.append("text") }
        if existing.submit != submit { fields.append("submit") }
        if existing.interrupt != interrupt { fields.append("interrupt") }
        if existing.awaitNextIncarnation != awaitNextIncarnation { fields.append("await_next_incarnation") }
        if existing.when != when { fields.append("when") }
        return fields
    }
}

/// What `DeliveryStore.enqueue` did.
public struct EnqueueResult: Codable, Sendable, Equatable {
    /// The new delivery, or the existing one when `duplicate` is true.
    public var delivery: Delivery
    /// 1-based position among the agent's queued deliveries; nil when a duplicate is no longer queued.
    public var position: Int?
    /// True when the id already existed with identical content: nothing was queued.
    public var duplicate: Bool
    /// Older queued deliveries of the same agent dropped to keep it within the cap, oldest
    /// first, as stored after the drop (without history).
    public var evicted: [Delivery]

    /// Creates a result.
    public init(delivery: Delivery, position: Int?, duplicate: Bool, evicted: [Delivery]) {
        self.delivery = delivery
        self.position = position
        self.duplicate = duplicate
        self.evicted = evicted
    }
}
