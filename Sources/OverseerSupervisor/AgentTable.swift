import OverseerProfiles
import OverseerPTY
import OverseerTerminal
import OverseerWire

/// The agents this supervisor runs, and the names of spawns in progress. Every change is
/// one step on this actor; nothing else holds agent state.
actor AgentTable {
    struct Record: Sendable {
        var info: AgentInfo
        let ring: OutputRing
        /// The rendered screen, fed by the drain path before the ring (see `AgentTerminal.start`).
        let screen: TerminalScreen
        /// The program's state from its screen (by its profile), kept current by its own task.
        let tracker: AgentStateTracker
        var terminal: AgentTerminal?
        /// The settle pause before Enter asked for at spawn (else the profile's).
        let submitDelayMs: Int?

        /// The info with the output counter as of now.
        var current: AgentInfo {
            var info = self.info
            info.outputBytes = ring.end
            return info
        }
    }

    private var agents = RecordMap()
    private var reserved: Set<String> = []
    private var shuttingDown = false
    private var maxAgents: Int

    init(maxAgents: Int) {
        self.maxAgents = maxAgents
    }

    /// A new limit for spawns from now on (a reload); agents beyond it keep running.
    func setMaxAgents(_ limit: Int) {
        maxAgents = limit
    }

    // MARK: Spawning

    /// Holds `name` for a spawn in progress.
    func reserve(_ name: String) throws(SupervisorError) {
        if shuttingDown { throw .shuttingDown }
        if agents[name] != nil || reserved.contains(name) { throw .duplicateName(name) }
        if agents.count + reserved.count >= maxAgents { throw .tooManyAgents(limit: maxAgents) }
        reserved.insert(name)
    }

    func unreserve(_ name: String) {
        reserved.remove(name)
    }

    /// Adds the agent and publishes `agent_spawned` in the same step, so no event of the
    /// incarnation (its exit, even for a root that ends at once) can precede it.
    func insert(_ record: Record, events: EventHub) {
        agents[record.info.name] = record
        let info = record.info
        events.publish { AgentEvent(sequence: $0, type: .agentSpawned, agent: info.name, agentID: info.id, incarnation: info.incarnation, pid: info.pid, time: info.spawnedAt) }
    }

    func attach(_ terminal: AgentTerminal, to name: String) {
        agents[name]?.terminal = terminal
        agents[name]?.tracker.attach(terminal)
    }

    /// Removes the incarnation's record (a spawn that failed late, or a release); its state
    /// tracker ends with `exited`.
    @discardableResult
    func remove(_ name: String, incarnation: String) -> Record? {
        guard agents[name]?.info.incarnation == incarnation else { return nil }
        let record = agents.removeValue(forKey: name)
        record?.tracker.markExited()
        return record
    }

    // MARK: Queries

    func record(_ name: String) throws(SupervisorError) -> Record {
        guard let record = agents[name] else { throw .agentNotFound(name) }
        return record
    }

    func list() -> [AgentInfo] {
        // In insertion order, nearly sorted already, which the sort then only checks.
        agents.mapInOrder(\.current).sorted { $0.spawnedAt < $1.spawnedAt }
    }

    /// Every agent with its current state, oldest first.
    func listWithStates() -> [(info: AgentInfo, state: AgentStateTracker.Current)] {
        agents.values.sorted { $0.info.spawnedAt < $1.info.spawnedAt }.map { ($0.current, $0.tracker.current) }
    }

    /// Agents running, and the others (exited or releasing).
    func counts() -> (running: Int, other: Int) {
        (agents.running, agents.count - agents.running)
    }

    /// The agent's current incarnation, if it runs and its terminal is attached.
    func liveAgent(_ name: String) -> LiveAgent? {
        guard let record = agents[name], record.info.state == .running, let terminal = record.terminal else { return nil }
        return LiveAgent(id: record.info.id, incarnation: record.info.incarnation, terminal: terminal, ring: record.ring, screen: record.screen, tracker: record.tracker, submitDelayMs: record.submitDelayMs)
    }

    // MARK: Changes

    /// Records the root's exit and publishes `agent_exited`, in one step, if the incarnation
    /// is still the current one and its exit is not recorded yet (the exit stream and a
    /// release may both report it; the first one counts). Because the event goes out in the
    /// same step, anything that sees the exit recorded publishes after it.
    func recordExit(_ exit: AgentExit, at time: Double, events: EventHub) -> AgentInfo? {
        guard var record = agents[exit.name], record.info.incarnation == exit.incarnation, record.info.exit == nil else { return nil }
        if record.info.state == .running { record.info.state = .exited }
        record.info.exit = exit.status
        record.info.exitedAt = time
        agents[exit.name] = record
        record.tracker.markExited()
        let info = record.info
        events.publish { AgentEvent(sequence: $0, type: .agentExited, agent: info.name, agentID: info.id, incarnation: info.incarnation, pid: exit.pid, time: time, exit: exit.status.view) }
        return info
    }

    func setSize(of name: String, rows: UInt16, cols: UInt16) {
        agents[name]?.info.rows = rows
        agents[name]?.info.cols = cols
    }

    /// Marks the agent `releasing`; a second release while one runs is refused.
    func claimForRelease(_ name: String) throws(SupervisorError) -> AgentInfo {
        guard var record = agents[name] else { throw .agentNotFound(name) }
        guard record.info.state != .releasing else { throw .agentBusy(name) }
        record.info.state = .releasing
        agents[name] = record
        return record.info
    }

    /// Claims every agent shutdown may release: not handed off, not already releasing.
    func claimAllForShutdown() -> [AgentInfo] {
        shuttingDown = true
        var claimed: [AgentInfo] = []
        for (name, record) in agents where record.info.handoff == .none && record.info.state != .releasing {
            agents[name]?.info.state = .releasing
            claimed.append(record.info)
        }
        return claimed
    }

    /// The names of agents shutdown leaves running (not handed off).
    func leftRunning() -> [String] {
        shuttingDown = true
        return agents.values.filter { $0.info.handoff == .none }.map(\.info.name)
    }

    /// A release that could not run: the agent is back as it was.
    func abortRelease(_ info: AgentInfo) {
        guard agents[info.name]?.info.incarnation == info.incarnation else { return }
        agents[info.name]?.info.state = info.exit == nil ? .running : .exited
    }

    /// A release that ran but could not prove the tree gone: the agent stays listed, back in
    /// its lifecycle state, with what survived; a later release tries again.
    func releaseUnfinished(_ info: AgentInfo, _ unfinished: UnfinishedRelease) {
        guard var record = agents[info.name], record.info.incarnation == info.incarnation else { return }
        record.info.state = record.info.exit == nil ? .running : .exited
        record.info.unfinishedRelease = unfinished
        agents[info.name] = record
    }

    /// Refuses new spawns from now on; returns every output ring, to wake long-polling readers.
    func beginShutdown() -> [OutputRing] {
        shuttingDown = true
        return agents.values.map(\.ring)
    }

    var isShuttingDown: Bool { shuttingDown }

    // MARK: Dispatches and the registry

    /// Marks the dispatch's agents handed off (pending until the registry is written).
    func handOff(_ names: [String], dispatch: String) -> [String] {
        var marked: [String] = []
        for name in names where agents[name]?.info.dispatch == dispatch {
            if agents[name]?.info.handoff == HandoffState.none { agents[name]?.info.handoff = .pending }
            marked.append(name)
        }
        return marked
    }

    /// True when none of `names` still waits for its handoff to reach the disk.
    func handoffsPersisted(_ names: [String]) -> Bool {
        names.allSatisfy { agents[$0].map { $0.info.handoff != .pending } ?? true }
    }

    /// The dispatch closed successfully: its agents are ordinary agents again.
    func leaveDispatch(_ names: [String], dispatch: String) {
        for name in names where agents[name]?.info.dispatch == dispatch {
            agents[name]?.info.dispatch = nil
        }
    }

    /// After a registry write: pending handoffs are on disk; consumed ones the reaper took.
    func registryWritten(_ result: RegistryWriteResult) {
        guard !result.consumed.isEmpty || !result.handoffs.isEmpty else { return } // the usual write: nothing to mark
        for (name, record) in agents {
            if result.consumed.contains(record.info.id) {
                agents[name]?.info.handoff = .consumed
            } else if record.info.handoff == .pending && result.handoffs.contains(record.info.id) {
                agents[name]?.info.handoff = .persisted
            }
        }
    }
}

/// The table's records by name, counting the running ones as records change, so `counts`
/// (asked on every spawn, exit and status line) does not walk a thousand records, and
/// remembering the order names were added in, so listing oldest first sorts almost nothing.
struct RecordMap: Sequence {
    private var byName: [String: AgentTable.Record] = [:]
    private var order: [String] = []
    private(set) var running = 0

    var count: Int { byName.count }
    var values: Dictionary<String, AgentTable.Record>.Values { byName.values }
    /// `transform` of each record, in the order their names were added (no copy of the records).
    func mapInOrder<T>(_ transform: (AgentTable.Record) -> T) -> [T] { order.compactMap { byName[$0].map(transform) } }

    subscript(name: String) -> AgentTable.Record? {
        get { byName[name] }
        set {
            guard let newValue else {
                _ = removeValue(forKey: name)
                return
            }
            if let old = byName.updateValue(newValue, forKey: name) {
                if old.info.state == .running { running -= 1 }
            } else {
                order.append(name)
            }
            if newValue.info.state == .running { running += 1 }
        }
    }

    mutating func removeValue(forKey name: String) -> AgentTable.Record? {
        guard let record = byName.removeValue(forKey: name) else { return nil }
        if record.info.state == .running { running -= 1 }
        if let index = order.lastIndex(of: name) { order.remove(at: index) }
        return record
    }

    func makeIterator() -> Dictionary<String, AgentTable.Record>.Iterator { byName.makeIterator() }
}
