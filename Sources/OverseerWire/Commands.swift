/// Body of `POST /v1/commands`: an ordered batch from an orchestrator's command stream.
public struct CommandBatch: Codable, Sendable {
    public var commands: [StreamCommand]

    public init(commands: [StreamCommand]) {
        self.commands = commands
    }
}

/// One command of a stream: `index` increases within each `(agent, generation)`.
public struct StreamCommand: Codable, Sendable {
    public var agent: String
    public var generation: Int64
    public var index: Int64
    public var command: CommandBody

    public init(agent: String, generation: Int64, index: Int64, command: CommandBody) {
        self.agent = agent
        self.generation = generation
        self.index = index
        self.command = command
    }
}

/// What to do. `type` is `spawn` (argv, cwd, env, rows, cols, labels), `message` (text, id,
/// submit, interrupt), `input` (text, enter) or `release`.
public struct CommandBody: Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case spawn, message, input, release
    }

    public var type: Kind
    public var argv: [String]?
    public var cwd: String?
    public var env: [String: String]?
    public var rows: UInt16?
    public var cols: UInt16?
    public var labels: [String: String]?
    public var id: String?
    public var text: String?
    public var submit: Bool?
    public var interrupt: Bool?
    public var enter: Bool?

    public init(type: Kind, argv: [String]? = nil, cwd: String? = nil, env: [String: String]? = nil, rows: UInt16? = nil, cols: UInt16? = nil, labels: [String: String]? = nil, id: String? = nil, text: String? = nil, submit: Bool? = nil, interrupt: Bool? = nil, enter: Bool? = nil) {
        self.type = type
        self.argv = argv
        self.cwd = cwd
        self.env = env
        self.rows = rows
        self.cols = cols
        self.labels = labels
        self.id = id
        self.text = text
        self.submit = submit
        self.interrupt = interrupt
        self.enter = enter
    }
}

/// What happened to one command.
public struct StreamCommandResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Ran now.
        case applied
        /// Its index was not above the last processed one for its (agent, generation): skipped.
        case replayed
        /// It names a generation the agent no longer (or not yet) has: skipped, never applied to another one.
        case stale
        /// It ran and failed; the index counts as processed.
        case failed
    }

    public var agent: String
    public var generation: Int64
    public var index: Int64
    public var status: Status
    /// Spawned incarnation (spawn), delivery id (message).
    public var incarnation: String?
    public var delivery: String?
    public var error: String?

    public init(agent: String, generation: Int64, index: Int64, status: Status, incarnation: String? = nil, delivery: String? = nil, error: String? = nil) {
        self.agent = agent
        self.generation = generation
        self.index = index
        self.status = status
        self.incarnation = incarnation
        self.delivery = delivery
        self.error = error
    }
}

/// Answer to `POST /v1/commands`.
public struct StreamCommandResults: Codable, Sendable {
    public var results: [StreamCommandResult]

    public init(results: [StreamCommandResult]) {
        self.results = results
    }
}

/// One entry of `GET /v1/commands/checkpoints`: the last index processed for a pair.
public struct CheckpointView: Codable, Sendable, Equatable {
    public var agent: String
    public var generation: Int64
    public var lastIndex: Int64
    public var releasedAt: Double?
    public var updatedAt: Double

    public init(agent: String, generation: Int64, lastIndex: Int64, releasedAt: Double?, updatedAt: Double) {
        self.agent = agent
        self.generation = generation
        self.lastIndex = lastIndex
        self.releasedAt = releasedAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case agent, generation
        case lastIndex = "last_index"
        case releasedAt = "released_at"
        case updatedAt = "updated_at"
    }
}

/// Answer to `GET /v1/commands/checkpoints`.
public struct CheckpointList: Codable, Sendable {
    public var checkpoints: [CheckpointView]

    public init(checkpoints: [CheckpointView]) {
        self.checkpoints = checkpoints
    }
}
