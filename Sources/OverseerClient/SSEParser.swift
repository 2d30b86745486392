/// One Server-Sent Event.
public struct SSEEvent: Sendable, Equatable, CustomStringConvertible {
    /// The `event:` field; nil means the default type, "message".
    public var event: String?
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last event ID seen on the stream so far (`id:` persists across events, per the spec).
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    public var description: String {
        "SSEEvent(event: \(event ?? "message"), id: \(id ?? "-"), data: \(data.debugDescription))"
    }
}

/// An incremental parser for the `text/event-stream` format (WHATWG HTML, "Server-sent events").
///
/// Feed it byte chunks cut anywhere — inside a line, a UTF-8 sequence or a CRLF pair — and it
/// returns each event once its terminating blank line has arrived. Lines may end in LF, CR or
/// CRLF; a leading BOM is skipped; comment lines (`:`) and unknown fields are ignored; an event
/// left unfinished at the end of the stream is discarded.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var atStreamStart = true
    private var eventType = ""
    private var data = ""
    private var hasData = false
    private var lastEventID = ""

    /// The latest valid `retry:` value in milliseconds, if any.
    public private(set) var retry: Int?

    public init() {}

    /// Consumes one chunk and returns the events it completed, in order.
    public mutating func feed(_ chunk: some Sequence<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        for byte in chunk {
            if atStreamStart {
                line.append(byte)
                if Self.bom.starts(with: line) {
                    if line.count == Self.bom.count { line.removeAll(); atStreamStart = false }
                    continue
                }
                atStreamStart = false
                let pending = line
                line.removeAll()
                for pendingByte in pending { process(pendingByte, into: &events) }
                continue
            }
            process(byte, into: &events)
        }
        return events
    }

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    private mutating func process(_ byte: UInt8, into events: inout [SSEEvent]) {
        switch byte {
        case UInt8(ascii: "\n"):
            if lastWasCR {
                lastWasCR = false  // second half of CRLF: the line already ended
                return
            }
            endLine(into: &events)
        case UInt8(ascii: "\r"):
            lastWasCR = true
            endLine(into: &events)
        default:
            lastWasCR = false
            line.append(byte)
        }
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if let event = dispatch() { events.append(event) }
            return
        }
        if line.first == UInt8(ascii: ":") { return }  // comment
        let field: String
        var value: Substring
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            value = Substring(String(decoding: line[(colon + 1)...], as: UTF8.self))
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "event":
            eventType = String(value)
        case "data":
            if hasData { data += "\n" }
            data += value
            hasData = true
        case "id":
            if !value.contains("\0") { lastEventID = String(value) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let ms = Int(value) { retry = ms }
        default:
            break
        }
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            eventType = ""
            data = ""
            hasData = false
        }
        guard hasData else { return nil }
        return SSEEvent(
            event: eventType.isEmpty ? nil : eventType,
            data: data,
            id: lastEventID.isEmpty ? nil : lastEventID
        )
    }
}

/// Turns an async sequence of byte chunks into Server-Sent Events.
public struct SSEEventSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == [UInt8] {
    public typealias Element = SSEEvent
    let base: Base

    public init(_ base: Base) { self.base = base }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var baseIterator: Base.AsyncIterator
        var parser = SSEParser()
        var pending: [SSEEvent] = []
        var pendingIndex = 0

        public mutating func next() async throws -> SSEEvent? {
            while pendingIndex == pending.count {
                guard let chunk = try await baseIterator.next() else { return nil }
                pending = parser.feed(chunk)
                pendingIndex = 0
            }
            defer { pendingIndex += 1 }
            return pending[pendingIndex]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(baseIterator: base.makeAsyncIterator())
    }
}

extension SSEEventSequence: Sendable where Base: Sendable {}
