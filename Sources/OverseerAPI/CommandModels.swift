import OverseerIdempotency

/// Body of `POST /v1/commands`: an ordered batch from an orchestrator's command stream.
struct CommandBatch: Decodable, Sendable {
    var commands: [StreamCommand]
}

/// One command of a stream: `index` increases within each `(agent, generation)`.
struct StreamCommand: Decodable, Sendable {
    var agent: String
    var generation: Int64
    var index: Int64
    var command: CommandBody
}

/// What to do. `type` is `spawn` (argv, cwd, env, rows, cols, labels), `message` (text, id,
/// submit, interrupt), `input` (text, enter) or `release`.
struct CommandBody: Decodable, Sendable {
    enum Kind: String, Decodable, Sendable {
        case spawn, message, input, release
    }

    var type: Kind
    var argv: [String]?
    var cwd: String?
    var env: [String: String]?
    var rows: UInt16?
    var cols: UInt16?
    var labels: [String: String]?
    var id: String?
    var text: String?
    var submit: Bool?
    var interrupt: Bool?
    var enter: Bool?
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
}

/// Answer to `POST /v1/commands`.
public struct StreamCommandResults: Codable, Sendable {
    public var results: [StreamCommandResult]
}

/// One entry of `GET /v1/commands/checkpoints`.
public struct CheckpointView: Codable, Sendable, Equatable {
    public var agent: String
    public var generation: Int64
    public var lastIndex: Int64
    public var releasedAt: Double?
    public var updatedAt: Double

    init(_ checkpoint: Checkpoint) {
        agent = checkpoint.agent
        generation = checkpoint.generation
        lastIndex = checkpoint.lastIndex
        releasedAt = checkpoint.releasedAt
        updatedAt = checkpoint.updatedAt
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
}
