import OverseerSupervisor

/// Body of `POST /v1/agents/{name}/input`: exactly one of `text` or `base64`; `enter` appends a carriage return.
public struct InputRequest: Codable, Sendable {
    public var text: String?
    public var base64: String?
    public var enter: Bool?

    public init(text: String? = nil, base64: String? = nil, enter: Bool? = nil) {
        self.text = text
        self.base64 = base64
        self.enter = enter
    }
}

/// Answer to an input write.
public struct InputResult: Codable, Sendable {
    public var agent: String
    public var bytes: Int
}

/// Body of `POST /v1/agents/{name}/resize`.
public struct ResizeRequest: Codable, Sendable {
    public var rows: Int
    public var cols: Int

    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }
}

/// Answer to `GET /v1/agents/{name}/output` (JSON form). Poll again with `cursor=next`.
public struct OutputResponse: Codable, Sendable {
    /// The cursor that was asked for.
    public var cursor: UInt64
    /// Offset of the first byte returned (above `cursor` when older output was dropped).
    public var start: UInt64
    public var next: UInt64
    public var dropped: UInt64
    /// No more output will come (the PTY closed).
    public var closed: Bool
    /// The bytes, base64-encoded.
    public var data: String
    /// The same bytes as UTF-8 with invalid sequences replaced, for people.
    public var text: String
}

/// Answer to `GET /v1/agents`.
public struct AgentList: Codable, Sendable {
    public var agents: [AgentInfo]
}

/// Answer to `GET /healthz`.
public struct HealthResponse: Codable, Sendable {
    public var status: String
    public var pid: Int32
    public var agentsRunning: Int
    public var uptimeSeconds: Double

    enum CodingKeys: String, CodingKey {
        case status, pid
        case agentsRunning = "agents_running"
        case uptimeSeconds = "uptime_seconds"
    }
}
