import Foundation
import OverseerWire

/// Typed calls to the supervisor's control API, speaking `OverseerWire` types.
///
/// Mutating calls carry this client's Idempotency-Key (one logical command, one key, reused
/// by every retry of it). Every call is retried with backoff while the socket refuses the
/// connection, the connection is reset or the supervisor answers 503 (starting, restarting),
/// for up to `retryWindow`, so a change takes effect once however often it is sent. A socket
/// file that does not exist is never retried: no supervisor is there to wait for.
public struct SupervisorClient: Sendable {
    public let http: UnixHTTPClient
    public let idempotencyKey: String
    /// How long retries of a refused, reset or still-starting request go on (zero: one try).
    public var retryWindow: Duration = .seconds(30)
    /// The limit on one exchange.
    public var timeout: Duration = .seconds(120)
    /// Called once per call when it has been retrying for `waitNotice` without an answer, with
    /// the socket path and `retryWindow` (the CLI prints its "waiting for the supervisor" line).
    public var onWaiting: (@Sendable (_ socketPath: String, _ window: Duration) -> Void)?
    /// How long a call retries before `onWaiting` is called.
    public var waitNotice: Duration = .seconds(1)

    public init(socketPath: String, idempotencyKey: String? = nil) {
        http = UnixHTTPClient(socketPath: socketPath)
        self.idempotencyKey = idempotencyKey ?? UUID().uuidString.lowercased()
    }

    // MARK: Agents

    public func spawn(_ request: SpawnRequest) async throws(SupervisorCallError) -> AgentView {
        try await post("/v1/agents", request)
    }

    public func agents() async throws(SupervisorCallError) -> AgentList {
        try await get("/v1/agents")
    }

    /// Processes the supervisor adopted as subreaper, attributed to agents or not.
    public func orphans() async throws(SupervisorCallError) -> OrphanList {
        try await get("/v1/orphans")
    }

    /// One agent, with its current process tree.
    public func agent(_ name: String) async throws(SupervisorCallError) -> AgentView {
        try await get("/v1/agents/\(Self.segment(name))")
    }

    public func input(_ name: String, _ request: InputRequest) async throws(SupervisorCallError) -> InputResult {
        try await post("/v1/agents/\(Self.segment(name))/input", request)
    }

    /// Output from `cursor` in raw form; with `wait` > 0 the supervisor holds the request up
    /// to that many seconds until output past the cursor exists.
    public func output(_ name: String, from cursor: UInt64, wait: Double = 0) async throws(SupervisorCallError) -> RawOutput {
        let path = "/v1/agents/\(Self.segment(name))/output?format=raw&cursor=\(cursor)" + (wait > 0 ? "&wait=\(wait)" : "")
        let response = try await send(.get(path), timeout: .seconds(Int64(wait) + 30))
        return RawOutput(
            bytes: response.body,
            next: UInt64(response.header(RawOutputHeader.nextCursor) ?? "") ?? cursor,
            dropped: UInt64(response.header(RawOutputHeader.dropped) ?? "") ?? 0,
            closed: response.header(RawOutputHeader.closed) == "true"
        )
    }

    /// The agent's rendered screen, with up to `scrollback` lines above it when asked.
    public func screen(_ name: String, scrollback: Int? = nil) async throws(SupervisorCallError) -> ScreenView {
        try await get(Self.screenPath(name, scrollback: scrollback, format: "json"))
    }

    /// The agent's rendered screen as text, as `tmux capture-pane -p` prints it.
    public func screenText(_ name: String, scrollback: Int? = nil) async throws(SupervisorCallError) -> String {
        try await send(.get(Self.screenPath(name, scrollback: scrollback, format: "text")), timeout: timeout).text
    }

    static func screenPath(_ name: String, scrollback: Int?, format: String) -> String {
        "/v1/agents/\(segment(name))/screen?format=\(format)" + (scrollback.map { "&scrollback=\($0)" } ?? "")
    }

    /// The output from `cursor` (all the ring holds from there) rendered at the agent's size into
    /// plain lines, escape sequences rendered away; `bytes` of the answer is that text.
    public func plainOutput(_ name: String, from cursor: UInt64) async throws(SupervisorCallError) -> RawOutput {
        let response = try await send(.get("/v1/agents/\(Self.segment(name))/output?format=plain&cursor=\(cursor)"), timeout: timeout)
        return RawOutput(
            bytes: response.body,
            next: UInt64(response.header(RawOutputHeader.nextCursor) ?? "") ?? cursor,
            dropped: UInt64(response.header(RawOutputHeader.dropped) ?? "") ?? 0,
            closed: response.header(RawOutputHeader.closed) == "true"
        )
    }

    public func resize(_ name: String, rows: Int, cols: Int) async throws(SupervisorCallError) -> ResizeRequest {
        try await post("/v1/agents/\(Self.segment(name))/resize", ResizeRequest(rows: rows, cols: cols))
    }

    /// The agent's state from its screen, with the explanation.
    public func state(_ name: String) async throws(SupervisorCallError) -> AgentStateView {
        try await get("/v1/agents/\(Self.segment(name))/state")
    }

    /// One long poll: answers once the agent's state is one of `states`, it exits, or
    /// `timeout` seconds (at most 3600) pass; the answer is the state then (compare it).
    public func waitForState(_ name: String, until states: [String], timeout: Double) async throws(SupervisorCallError) -> AgentStateView {
        let list = states.joined(separator: ",").addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
        let path = "/v1/agents/\(Self.segment(name))/state?until=\(list)&timeout=\(timeout)"
        return try Self.decode(try await send(.get(path), timeout: .milliseconds(Int64(timeout * 1000)) + .seconds(30)))
    }

    public func release(_ name: String) async throws(SupervisorCallError) -> ReleaseView {
        try await post("/v1/agents/\(Self.segment(name))/release", [String: String]())
    }

    // MARK: Dispatches

    public func openDispatch(_ request: DispatchRequest) async throws(SupervisorCallError) -> DispatchView {
        try await post("/v1/dispatches", request)
    }

    public func dispatches() async throws(SupervisorCallError) -> DispatchList {
        try await get("/v1/dispatches")
    }

    public func dispatch(_ id: String) async throws(SupervisorCallError) -> DispatchView {
        try await get("/v1/dispatches/\(Self.segment(id))")
    }

    /// Marks the dispatch failed and hands its agents to the reaper (answered once on disk).
    public func failDispatch(_ id: String) async throws(SupervisorCallError) -> HandoffView {
        try await post("/v1/dispatches/\(Self.segment(id))/fail", [String: String]())
    }

    public func completeDispatch(_ id: String) async throws(SupervisorCallError) -> DispatchView {
        try await post("/v1/dispatches/\(Self.segment(id))/complete", [String: String]())
    }

    // MARK: Messages

    /// Queues a durable message; answered once it is stored.
    public func submitMessage(to agent: String, _ request: MessageRequest) async throws(SupervisorCallError) -> MessageAccepted {
        try await post("/v1/agents/\(Self.segment(agent))/messages", request)
    }

    public func delivery(_ id: String) async throws(SupervisorCallError) -> DeliveryView {
        try await get("/v1/deliveries/\(Self.segment(id))")
    }

    public func pendingDeliveries(of agent: String) async throws(SupervisorCallError) -> DeliveryList {
        try await get("/v1/agents/\(Self.segment(agent))/deliveries")
    }

    // MARK: Command streams

    public func apply(_ batch: CommandBatch) async throws(SupervisorCallError) -> StreamCommandResults {
        try await post("/v1/commands", batch)
    }

    public func checkpoints() async throws(SupervisorCallError) -> CheckpointList {
        try await get("/v1/commands/checkpoints")
    }

    public func acknowledgeCheckpoint(agent: String, generation: Int64) async throws(SupervisorCallError) {
        var request = ClientRequest.delete("/v1/commands/checkpoints/\(Self.segment(agent))/\(generation)")
        request.headers.append((APIHeader.idempotencyKey, idempotencyKey))
        _ = try await send(request, timeout: timeout)
    }

    // MARK: System

    public func health() async throws(SupervisorCallError) -> HealthResponse {
        try await get("/healthz")
    }

    /// Every lifecycle event from now on, until the supervisor shuts down or the consumer stops.
    /// With `after` (the last sequence seen, sent as `Last-Event-ID`), the events since then
    /// come first, or an `events_lost` event says which are gone.
    public func events(after: UInt64? = nil) async throws(SupervisorCallError) -> AsyncThrowingStream<AgentEvent, any Error> {
        let stream: ClientStream
        do {
            stream = try await http.stream(.get("/v1/events", headers: after.map { [("Last-Event-ID", String($0))] } ?? []), headTimeout: timeout)
        } catch {
            throw .unreachable(error)
        }
        guard (200..<300).contains(stream.status) else {
            let body: ClientResponse
            do { body = try await stream.collect() } catch { throw .unreachable(error) }
            throw Self.refusal(body)
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in stream.events {
                        continuation.yield(try JSONDecoder().decode(AgentEvent.self, from: Data(event.data.utf8)))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Transport

    /// GETs `path` and decodes the answer.
    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(SupervisorCallError) -> T {
        try Self.decode(try await send(.get(path), timeout: timeout))
    }

    /// POSTs `body` as JSON with this client's Idempotency-Key, retrying (see the type's doc).
    public func post<T: Decodable>(_ path: String, _ body: some Encodable, as type: T.Type = T.self) async throws(SupervisorCallError) -> T {
        var request: ClientRequest
        do {
            request = try ClientRequest.json(.post, path, body)
        } catch {
            throw .unexpected(error.description)
        }
        request.headers.append((APIHeader.idempotencyKey, idempotencyKey))
        return try Self.decode(try await send(request, timeout: timeout))
    }

    /// Sends `request` (each exchange limited to `timeout`), retrying while the supervisor is
    /// unreachable but its socket exists, or answers 503, until `retryWindow` has passed;
    /// a non-2xx answer is a `.refused` error.
    func send(_ request: ClientRequest, timeout: Duration) async throws(SupervisorCallError) -> ClientResponse {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + retryWindow
        var pause: Duration = .milliseconds(100)
        var noticed = false
        while true {
            let answer: ClientResponse?
            do {
                answer = try await http.send(request, timeout: timeout)
            } catch {
                guard error.isRetryable, clock.now < deadline else { throw .unreachable(error) }
                answer = nil
            }
            if let answer, answer.status != 503 || clock.now >= deadline {
                guard answer.isSuccess else { throw Self.refusal(answer) }
                return answer
            }
            // Sleep to the next try, but wake for the notice and for one last try at the deadline.
            var nap = min(pause, clock.now.duration(to: deadline))
            if !noticed {
                let untilNotice = waitNotice - started.duration(to: clock.now)
                if untilNotice <= .zero {
                    noticed = true
                    onWaiting?(http.socketPath, retryWindow)
                } else {
                    nap = min(nap, untilNotice)
                }
            }
            do {
                try await Task.sleep(for: max(nap, .zero))
            } catch {
                throw .unreachable(.cancelled)
            }
            if nap >= pause { pause = min(pause * 2, .seconds(2)) }
        }
    }

    static func decode<T: Decodable>(_ response: ClientResponse) throws(SupervisorCallError) -> T {
        do {
            return try response.decode(T.self)
        } catch {
            throw .unexpected("unexpected answer from the supervisor: \(error)")
        }
    }

    static func refusal(_ response: ClientResponse) -> SupervisorCallError {
        guard let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) else {
            return .refused(status: response.status, code: nil, message: "HTTP \(response.status): \(response.text)", field: nil)
        }
        return .refused(status: response.status, code: body.error.code, message: body.error.message, field: body.error.field)
    }

    /// Percent-encodes a name for one path segment.
    public static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
    }
}

/// A slice of an agent's output in raw form.
public struct RawOutput: Sendable {
    public var bytes: [UInt8]
    /// The cursor to read on from.
    public var next: UInt64
    /// Bytes dropped from the ring before the slice began.
    public var dropped: UInt64
    /// No more output will come (the terminal closed).
    public var closed: Bool
}
