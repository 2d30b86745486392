import OverseerSupervisor
import OverseerWire
import Synchronization

/// A stand-in for the supervisor behind the router: answers from canned values, fails with a
/// chosen `SupervisorError`, and counts the calls that change something (so a test can tell
/// whether a request ran or was replayed).
final class FakeSupervisor: SupervisorFacade {
    struct State {
        var spawned: [SpawnRequest] = []
        var inputs: [[UInt8]] = []
        var messages: [MessageRequest] = []
        var batches: [CommandBatch] = []
        /// The `scrollback` of every screen call.
        var screenScrollbacks: [Int] = []
        /// The `until` states and timeout of every state wait.
        var stateWaits: [(states: Set<String>, timeout: Duration)] = []
        /// Every call fails with this error when set.
        var failure: SupervisorError?
    }

    let state = Mutex(State())

    func failing(with error: SupervisorError?) {
        state.withLock { $0.failure = error }
    }

    var spawnCount: Int { state.withLock { $0.spawned.count } }

    private func check() throws(SupervisorError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    static func agent(_ name: String) -> AgentView {
        AgentView(
            id: "id-\(name)", name: name, incarnation: "inc-\(name)", pid: 4242,
            identity: ProcessIdentityView(pid: 4242, startTime: 1, bootID: "boot"), argv: ["sleep", "600"], cwd: "/tmp",
            labels: [:], rows: 24, cols: 80, state: .running, exit: nil, spawnedAt: 1, exitedAt: nil, transcript: nil,
            outputBytes: 0, tree: nil, dispatch: nil, role: nil, handoff: .none, cgroup: nil, generation: nil
        )
    }

    func spawn(_ request: SpawnRequest) async throws(SupervisorError) -> AgentView {
        try check()
        state.withLock { $0.spawned.append(request) }
        return Self.agent(request.name)
    }

    func agents() async -> [AgentView] { state.withLock { $0.spawned.map { Self.agent($0.name) } } }

    func agent(named name: String) async throws(SupervisorError) -> AgentView {
        try check()
        return Self.agent(name)
    }

    func writeInput(_ bytes: [UInt8], to name: String) async throws(SupervisorError) {
        try check()
        state.withLock { $0.inputs.append(bytes) }
    }

    func readOutput(of name: String, from cursor: UInt64, limit: Int, wait: Duration?) async throws(SupervisorError) -> OutputSlice {
        try check()
        return OutputSlice(start: cursor, next: cursor + 2, bytes: Array("hi".utf8), dropped: 0, closed: false)
    }

    func resize(_ name: String, rows: Int, cols: Int) async throws(SupervisorError) { try check() }

    /// A 3-row screen showing "$ echo hi" and "hi"; `scrollback` asked for is recorded.
    func screen(of name: String, scrollback: Int) async throws(SupervisorError) -> ScreenView {
        try check()
        state.withLock { $0.screenScrollbacks.append(scrollback) }
        return ScreenView(
            rows: 3, cols: 20, lines: ["$ echo hi", "hi", ""], scrollback: scrollback > 0 ? ["older"] : nil,
            cursor: .init(row: 2, col: 0, visible: true), title: "fake", alternateScreen: false,
            modes: .init(bracketedPaste: true, applicationCursorKeys: false, mouse: "none")
        )
    }

    func screenRepaint(of name: String) async throws(SupervisorError) -> ScreenRepaintSlice {
        try check()
        return ScreenRepaintSlice(bytes: Array("\u{1B}[H\u{1B}[2Jhi".utf8), next: 2)
    }

    func plainOutput(of name: String, from cursor: UInt64, limit: Int) async throws(SupervisorError) -> PlainOutput {
        try check()
        return PlainOutput(start: cursor, next: cursor + 2, dropped: 0, closed: false, lines: ["hi", "there"])
    }

    static func state(_ state: String) -> AgentStateView {
        AgentStateView(state: state, since: 1_700_000_000, profile: "generic", rule: nil, evidence: [], ready: true, reason: "canned", explain: "state: \(state)\n")
    }

    func agentState(of name: String) async throws(SupervisorError) -> AgentStateView {
        try check()
        return Self.state("idle")
    }

    func waitForState(of name: String, until states: Set<String>, timeout: Duration) async throws(SupervisorError) -> AgentStateView {
        try check()
        state.withLock { $0.stateWaits.append((states, timeout)) }
        return Self.state(states.sorted().first ?? "idle")
    }

    func release(_ name: String) async throws(SupervisorError) -> ReleaseView {
        try check()
        return ReleaseView(agent: name, incarnation: "inc-\(name)", report: KillReportView(processes: [], skipped: [], survivors: [], rescans: 0, durationSeconds: 0, clean: true, cgroup: nil))
    }

    func openDispatch(_ request: DispatchRequest) async throws(SupervisorError) -> DispatchView {
        try check()
        return DispatchView(id: "d-1", issue: request.issue, sessionRef: request.sessionRef, role: request.role, state: .open, agents: [], createdAt: 1)
    }

    func dispatches() async -> [DispatchView] { [] }

    func dispatch(_ id: String) async throws(SupervisorError) -> DispatchView {
        try check()
        return DispatchView(id: id, issue: nil, sessionRef: nil, role: nil, state: .open, agents: [], createdAt: 1)
    }

    func failDispatch(_ id: String) async throws(SupervisorError) -> HandoffView {
        try check()
        return HandoffView(dispatch: id, agents: [], handoff: false, persisted: false)
    }

    func completeDispatch(_ id: String) async throws(SupervisorError) -> DispatchView { try await dispatch(id) }

    func submitMessage(_ request: MessageRequest, to agent: String) async throws(SupervisorError) -> MessageAccepted {
        try check()
        let duplicate = state.withLock { state in
            defer { state.messages.append(request) }
            return state.messages.contains(request)
        }
        return MessageAccepted(id: request.id ?? "?", state: "queued", position: duplicate ? nil : 1, duplicate: duplicate, evicted: [])
    }

    func pendingDeliveries(of agent: String) async throws(SupervisorError) -> [DeliveryView] {
        try check()
        return []
    }

    func delivery(_ id: String) async throws(SupervisorError) -> DeliveryView {
        try check()
        throw .deliveryNotFound(id)
    }

    func apply(_ batch: CommandBatch) async throws(SupervisorError) -> StreamCommandResults {
        try check()
        state.withLock { $0.batches.append(batch) }
        return StreamCommandResults(results: batch.commands.map { StreamCommandResult(agent: $0.agent, generation: $0.generation, index: $0.index, status: .applied) })
    }

    func checkpoints() async throws(SupervisorError) -> [CheckpointView] {
        try check()
        return []
    }

    func acknowledgeCheckpoint(agent: String, generation: Int64) async throws(SupervisorError) {
        try check()
        throw .checkpointNotFound(agent: agent, generation: generation)
    }

    func health() async -> HealthResponse { HealthResponse(status: "ok", pid: 1, agentsRunning: 0, uptimeSeconds: 0) }

    func metricsText() -> String { "overseer_spawns_total 0\n" }

    func orphans() async -> OrphanList { OrphanList(orphans: []) }

    func events(after: UInt64?) -> AsyncStream<AgentEvent> { AsyncStream { $0.finish() } }
}
