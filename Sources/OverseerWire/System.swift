/// Answer to `GET /healthz`.
public struct HealthResponse: Codable, Sendable {
    public var status: String
    public var pid: Int32
    public var agentsRunning: Int
    public var uptimeSeconds: Double

    public init(status: String, pid: Int32, agentsRunning: Int, uptimeSeconds: Double) {
        self.status = status
        self.pid = pid
        self.agentsRunning = agentsRunning
        self.uptimeSeconds = uptimeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case status, pid
        case agentsRunning = "agents_running"
        case uptimeSeconds = "uptime_seconds"
    }
}

/// Every error answer: `{"error": {"code", "message", "field"?}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// A stable machine-readable code, e.g. `agent_not_found`.
        public var code: String
        public var message: String
        /// The request field (JSON path, query parameter or header) that was wrong, if one was.
        public var field: String?

        public init(code: String, message: String, field: String? = nil) {
            self.code = code
            self.message = message
            self.field = field
        }
    }

    public var error: Detail

    public init(error: Detail) {
        self.error = error
    }
}

/// Request headers of the API.
public enum APIHeader {
    /// On a mutating request: the answer is stored and replayed to retries with this key.
    public static let idempotencyKey = "Idempotency-Key"
    /// `true` on an answer replayed from the store.
    public static let replayed = "Idempotent-Replayed"
}

/// Content types of the non-JSON answers.
public enum APIContentType {
    /// `GET /metrics`: the Prometheus text exposition.
    public static let metrics = "text/plain; version=0.0.4; charset=utf-8"
    /// `GET /v1/events`.
    public static let eventStream = "text/event-stream"
}
