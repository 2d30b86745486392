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

    public init(agent: String, bytes: Int) {
        self.agent = agent
        self.bytes = bytes
    }
}

/// Body of `POST /v1/agents/{name}/resize` (and its answer).
public struct ResizeRequest: Codable, Sendable, Equatable {
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

    public init(cursor: UInt64, start: UInt64, next: UInt64, dropped: UInt64, closed: Bool, data: String, text: String) {
        self.cursor = cursor
        self.start = start
        self.next = next
        self.dropped = dropped
        self.closed = closed
        self.data = data
        self.text = text
    }
}

/// The headers of `GET /v1/agents/{name}/output?format=raw`, whose body is the bytes themselves
/// (and of `?format=plain`, whose body is those bytes rendered to plain lines).
public enum RawOutputHeader {
    public static let start = "Overseer-Start"
    public static let nextCursor = "Overseer-Next-Cursor"
    public static let dropped = "Overseer-Dropped"
    /// `true` once no more output will come.
    public static let closed = "Overseer-Closed"
}
