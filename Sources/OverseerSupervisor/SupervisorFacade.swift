import OverseerWire

/// The supervisor as the HTTP API sees it: every operation a route may ask for, named for
/// what it does, speaking wire types (and `OutputSlice`), failing with `SupervisorError`.
/// `Supervisor` is the real implementation; router tests use their own.
public protocol SupervisorFacade: Sendable {
    // Agents
    func spawn(_ request: SpawnRequest) async throws(SupervisorError) -> AgentView
    func agents() async -> [AgentView]
    /// One agent, with its current process tree.
    func agent(named name: String) async throws(SupervisorError) -> AgentView
    /// The agent's rendered screen now, with up to `scrollback` lines above it (none when 0);
    /// also for an exited agent while its record exists.
    func screen(of name: String, scrollback: Int) async throws(SupervisorError) -> ScreenView
    /// A repaint of the agent's screen and the output offset it covers (see `ScreenRepaintSlice`).
    func screenRepaint(of name: String) async throws(SupervisorError) -> ScreenRepaintSlice
    /// The output from `cursor` (at most `limit` bytes) rendered at the agent's size into the
    /// lines a person would have seen, escape sequences rendered away.
    func plainOutput(of name: String, from cursor: UInt64, limit: Int) async throws(SupervisorError) -> PlainOutput
    func writeInput(_ bytes: [UInt8], to name: String) async throws(SupervisorError)
    /// Output from `cursor`; with `wait`, first waits (long poll) until output past the
    /// cursor exists, the terminal closes, or the time is up.
    func readOutput(of name: String, from cursor: UInt64, limit: Int, wait: Duration?) async throws(SupervisorError) -> OutputSlice
    func resize(_ name: String, rows: Int, cols: Int) async throws(SupervisorError)
    /// The agent's state from its screen, with the explanation.
    func agentState(of name: String) async throws(SupervisorError) -> AgentStateView
    /// Waits until the agent's state is one of `states` (names), it exits, or `timeout`
    /// passes; returns the state then (the caller compares).
    func waitForState(of name: String, until states: Set<String>, timeout: Duration) async throws(SupervisorError) -> AgentStateView
    /// Kills the agent's whole tree and forgets the agent.
    func release(_ name: String) async throws(SupervisorError) -> ReleaseView

    // Dispatches
    func openDispatch(_ request: DispatchRequest) async throws(SupervisorError) -> DispatchView
    func dispatches() async -> [DispatchView]
    func dispatch(_ id: String) async throws(SupervisorError) -> DispatchView
    /// Hands the dispatch's agents to the reaper; answers once that is on disk.
    func failDispatch(_ id: String) async throws(SupervisorError) -> HandoffView
    func completeDispatch(_ id: String) async throws(SupervisorError) -> DispatchView

    // Messages
    /// Stores a message durably before answering.
    func submitMessage(_ request: MessageRequest, to agent: String) async throws(SupervisorError) -> MessageAccepted
    func pendingDeliveries(of agent: String) async throws(SupervisorError) -> [DeliveryView]
    func delivery(_ id: String) async throws(SupervisorError) -> DeliveryView

    // Command streams
    func apply(_ batch: CommandBatch) async throws(SupervisorError) -> StreamCommandResults
    func checkpoints() async throws(SupervisorError) -> [CheckpointView]
    func acknowledgeCheckpoint(agent: String, generation: Int64) async throws(SupervisorError)

    // System
    func health() async -> HealthResponse
    /// The Prometheus text exposition.
    func metricsText() -> String
    /// Processes adopted as subreaper alive now, attributed to agents or not.
    func orphans() async -> OrphanList
    /// Every event from now on; ends when shutdown begins. With `after` (a client's
    /// `Last-Event-ID`), the remembered events after that sequence come first.
    func events(after: UInt64?) -> AsyncStream<AgentEvent>
}

extension SupervisorFacade {
    /// Every event from now on.
    public func events() -> AsyncStream<AgentEvent> { events(after: nil) }
}

/// A slice of an agent's output (see `OverseerPTY.OutputRing.read`).
public struct OutputSlice: Sendable, Equatable {
    /// Offset of the first byte returned (above the cursor when older output was dropped).
    public var start: UInt64
    public var next: UInt64
    public var bytes: [UInt8]
    public var dropped: UInt64
    /// No more output will come (the terminal closed).
    public var closed: Bool

    public init(start: UInt64, next: UInt64, bytes: [UInt8], dropped: UInt64, closed: Bool) {
        self.start = start
        self.next = next
        self.bytes = bytes
        self.dropped = dropped
        self.closed = closed
    }
}

/// Bytes that draw an agent's screen on a fresh terminal, and where its output continues them:
/// the repaint shows exactly the output before `next`, so a client that plays the repaint and
/// then the output from `next` on sees every byte once.
public struct ScreenRepaintSlice: Sendable, Equatable {
    public var bytes: [UInt8]
    public var next: UInt64

    public init(bytes: [UInt8], next: UInt64) {
        self.bytes = bytes
        self.next = next
    }
}

/// A slice of an agent's output rendered to plain lines (see `OverseerTerminal.PlainTextRenderer`).
public struct PlainOutput: Sendable, Equatable {
    /// Offset of the first byte rendered, and of the byte after the last.
    public var start: UInt64
    public var next: UInt64
    /// Bytes between the requested cursor and `start` that the ring no longer holds.
    public var dropped: UInt64
    public var closed: Bool
    public var lines: [String]

    public init(start: UInt64, next: UInt64, dropped: UInt64, closed: Bool, lines: [String]) {
        self.start = start
        self.next = next
        self.dropped = dropped
        self.closed = closed
        self.lines = lines
    }
}
