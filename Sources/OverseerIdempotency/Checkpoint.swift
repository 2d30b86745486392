import GRDB

/// How far one agent generation's ordered command stream has been applied.
public struct Checkpoint: Sendable, Equatable, Codable {
    /// The agent's name.
    public var agent: String
    /// The agent's generation (incarnation counter): each generation has its own stream.
    public var generation: Int64
    /// The highest command index accepted so far.
    public var lastIndex: Int64
    /// When the generation was released (stopped for good), epoch seconds; nil while live.
    public var releasedAt: Double?
    /// When the checkpoint last changed, epoch seconds.
    public var updatedAt: Double

    /// A checkpoint with the given fields.
    public init(agent: String, generation: Int64, lastIndex: Int64, releasedAt: Double? = nil, updatedAt: Double) {
        self.agent = agent
        self.generation = generation
        self.lastIndex = lastIndex
        self.releasedAt = releasedAt
        self.updatedAt = updatedAt
    }

    /// The columns `init(row:)` reads, in a form to put after `SELECT`.
    static let columns = "agent, generation, last_index, released_at, updated_at"

    init(row: Row) {
        self.init(
            agent: row["agent"], generation: row["generation"], lastIndex: row["last_index"],
            releasedAt: row["released_at"], updatedAt: row["updated_at"])
    }
}
