/// Answer to `GET /healthz`.
public struct HealthResponse: Codable, Sendable {
    public var status: String
    public var pid: Int32
    public var agentsRunning: Int
    public var uptimeSeconds: Double
    /// How agents' trees are tracked (absent from supervisors that predate it).
    public var tracking: TrackingView?

    public init(status: String, pid: Int32, agentsRunning: Int, uptimeSeconds: Double, tracking: TrackingView? = nil) {
        self.status = status
        self.pid = pid
        self.agentsRunning = agentsRunning
        self.uptimeSeconds = uptimeSeconds
        self.tracking = tracking
    }

    enum CodingKeys: String, CodingKey {
        case status, pid, tracking
        case agentsRunning = "agents_running"
        case uptimeSeconds = "uptime_seconds"
    }
}

/// The tracking mode in force: how a supervisor finds every process of an agent's tree,
/// and what that way cannot catch.
public struct TrackingView: Codable, Sendable, Equatable {
    /// `cgroup+lineage`, `cgroup`, `lineage` or `markers`.
    public var mode: String
    public var misses: String
    /// The agents' cgroup subtree, when there is one.
    public var cgroupRoot: String?
    /// Who made that subtree: `delegated` (systemd), `configured` (cgroup_root), `created` (by the supervisor).
    public var cgroupOrigin: String?
    /// Why the kernel's process events are not followed, when they are not.
    public var lineageUnavailable: String?

    public init(mode: String, misses: String, cgroupRoot: String? = nil, cgroupOrigin: String? = nil, lineageUnavailable: String? = nil) {
        self.mode = mode
        self.misses = misses
        self.cgroupRoot = cgroupRoot
        self.cgroupOrigin = cgroupOrigin
        self.lineageUnavailable = lineageUnavailable
    }

    enum CodingKeys: String, CodingKey {
        case mode, misses
        case cgroupRoot = "cgroup_root"
        case cgroupOrigin = "cgroup_origin"
        case lineageUnavailable = "lineage_unavailable"
    }

    /// What each mode cannot catch, strongest first.
    public static func misses(cgroups: Bool, lineage: Bool) -> (mode: String, misses: String) {
        switch (cgroups, lineage) {
        case (true, true):
            ("cgroup+lineage", "nothing born in an agent's tree; a root agent that moves itself out of its cgroup is still followed by its fork lineage")
        case (true, false):
            ("cgroup", "a root agent that moves a process out of its cgroup")
        case (false, true):
            ("lineage", "processes forked while the kernel dropped events (counted in overseer_lineage_event_losses_total)")
        case (false, false):
            ("markers", "a process that left the tree by setsid or a double fork and cleared its OVERSEER_AGENT_ID (env -i) or overwrote it (a rewritten process title)")
        }
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
