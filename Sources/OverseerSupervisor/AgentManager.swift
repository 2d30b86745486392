import Foundation
import Logging
import NIOCore
import NIOPosix
import OverseerCgroup
import OverseerKill
import OverseerProcess
import OverseerPTY
import OverseerRegistry
import Synchronization

/// Owns the agents: spawns them into PTYs, records their exits, feeds them input, and
/// releases them (whole-tree kill). Thread-safe; blocking work (kills, /proc scans) runs on
/// its own thread pool, never on an event loop.
public final class AgentManager: Sendable {
    struct Record {
        var info: AgentInfo
        var ring: OutputRing
        var terminal: AgentTerminal?
    }

    struct State {
        var agents: [String: Record] = [:]
        var reserved: Set<String> = []
        var pidIndex: [Int32: String] = [:]
        var dispatches: [String: DispatchInfo] = [:]
        var shuttingDown = false
        /// Root pids of released incarnations whose exit may still be reported (pid → name).
        var retiredRoots: [Int32: String] = [:]
    }

    public let settings: SupervisorSettings
    public let events: EventHub
    public let metrics: SupervisorMetrics
    public let logger: Logger
    let group: any EventLoopGroup
    let reaper: ChildReaper
    let blocking: NIOThreadPool
    let baseEnvironment: [String: String]
    private let state = Mutex(State())
    private let handlerID = Mutex<Int?>(nil)
    let deliveryEngine = Mutex<DeliveryEngine?>(nil)
    /// The durable in-flight registry, when one is configured.
    public let registry: RegistryWriter?
    /// This supervisor's own identity (the owner recorded on registry entries).
    public let identity: ProcessIdentity

    public init(settings: SupervisorSettings, group: any EventLoopGroup, events: EventHub = EventHub(), metrics: SupervisorMetrics = SupervisorMetrics(), logger: Logger, reaper: ChildReaper = .shared, baseEnvironment: [String: String] = AgentEnvironment.current()) {
        self.settings = settings
        self.group = group
        self.events = events
        self.metrics = metrics
        self.logger = logger
        self.reaper = reaper
        self.baseEnvironment = baseEnvironment
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        self.blocking = pool
        let identity = ProcessIdentity.current(pid: getpid()) ?? ProcessIdentity(pid: getpid(), startTime: 0, bootID: BootID.current)
        self.identity = identity
        let entries = RegistryEntriesBox()
        self.registry = settings.registryPath.map { path in
            RegistryWriter(store: RegistryStore(path: path), owner: identity, pool: pool, metrics: metrics, logger: logger, snapshot: { entries.snapshot() }, written: { entries.written($0, consumed: $1) })
        }
        entries.manager = self
    }

    /// Becomes a child subreaper and starts receiving child exits.
    public func start() {
        if !Subreaper.enable() { logger.warning("could not become a child subreaper; orphans will re-parent to pid 1") }
        let id = reaper.addHandler { [weak self] pid, status in self?.childExited(pid: pid, status: status) ?? false }
        handlerID.withLock { $0 = id }
        reaper.start()
    }

    // MARK: Queries

    public func list() -> [AgentInfo] {
        state.withLock { state in state.agents.values.map { $0.currentInfo } }.sorted { $0.spawnedAt < $1.spawnedAt }
    }

    public func info(name: String, withTree: Bool = false) async throws(AgentError) -> AgentInfo {
        guard var info = state.withLock({ $0.agents[name]?.currentInfo }) else { throw .notFound(name) }
        if withTree {
            let target = killTarget(for: info)
            let engine = killEngine()
            info.tree = (try? await blocking.runIfActive { Self.describeTree(engine.plan(target).members) }) ?? []
        }
        return info
    }

    public var runningCount: Int { state.withLock { $0.agents.values.filter { $0.info.state == .running }.count } }

    /// One line for STATUS=: "3 agents running, 1 exited".
    public var statusLine: String {
        let (running, other) = state.withLock { state in
            let running = state.agents.values.filter { $0.info.state == .running }.count
            return (running, state.agents.count - running)
        }
        var line = "\(running) agent\(running == 1 ? "" : "s") running"
        if other > 0 { line += ", \(other) exited or releasing" }
        if let pending = deliveries?.pendingCount { line += ", \(pending) deliver\(pending == 1 ? "y" : "ies") pending" }
        return line
    }

    // MARK: Spawning

    public func spawn(_ request: SpawnRequest) async throws(AgentError) -> AgentInfo {
        try validate(request)
        try reserve(request.name)
        defer { state.withLock { _ = $0.reserved.remove(request.name) } }
        do {
            return try await launch(request)
        } catch {
            metrics.spawnFailures.increment()
            logger.warning("spawn failed", metadata: ["agent": "\(request.name)", "error": "\(error)"])
            throw error
        }
    }

    private func validate(_ request: SpawnRequest) throws(AgentError) {
        guard Self.isValidName(request.name) else { throw .invalidName(request.name) }
        if let dispatch = request.dispatch {
            guard let info = state.withLock({ $0.dispatches[dispatch] }) else { throw .dispatchNotFound(dispatch) }
            guard info.state == .open else { throw .dispatchClosed(dispatch, state: info.state.rawValue) }
        }
        if request.argv.isEmpty { throw .spawnFailed(SpawnError.emptyArgv.description) }
        let rows = Int(request.rows ?? settings.defaultRows)
        let cols = Int(request.cols ?? settings.defaultCols)
        guard (1...1000).contains(rows), (1...1000).contains(cols) else { throw .invalidSize(rows: rows, cols: cols) }
    }

    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private func reserve(_ name: String) throws(AgentError) {
        let result: AgentError? = state.withLock { state in
            if state.shuttingDown { return .shuttingDown }
            if state.agents[name] != nil || state.reserved.contains(name) { return .duplicateName(name) }
            if state.agents.count + state.reserved.count >= settings.maxAgents { return .tooManyAgents(limit: settings.maxAgents) }
            state.reserved.insert(name)
            return nil
        }
        if let result { throw result }
    }

    private func launch(_ request: SpawnRequest) async throws(AgentError) -> AgentInfo {
        let id = Self.randomHex(16)
        let incarnation = Self.randomHex(8)
        let rows = request.rows ?? settings.defaultRows
        let cols = request.cols ?? settings.defaultCols
        let cwd = request.cwd ?? FileManager.default.currentDirectoryPath
        let environment = AgentEnvironment.build(inherited: baseEnvironment, overrides: request.env ?? [:], agentID: id, incarnation: incarnation)
        let spec = SpawnSpec(argv: request.argv, cwd: cwd, environment: environment, rows: rows, cols: cols)
        let transcript = try openTranscript(name: request.name, incarnation: incarnation)
        let ring = OutputRing(capacity: settings.outputBufferBytes)
        let (cgroup, cgroupFD) = try createCgroup(forAgent: id)
        defer { if let cgroupFD { Glibc.close(cgroupFD) } }

        let spawned: SpawnedPTYProcess
        let info: AgentInfo
        do {
            (spawned, info) = try reaper.withSpawnLock { () throws(SpawnError) -> (SpawnedPTYProcess, AgentInfo) in
                let spawned = try Spawner.spawnInPTY(spec, cgroupFD: cgroupFD)
                let startTime = (try? ProcStat.read(pid: spawned.pid))?.startTime ?? 0
                let info = AgentInfo(
                    id: id, name: request.name, incarnation: incarnation, pid: spawned.pid,
                    identity: ProcessIdentity(pid: spawned.pid, startTime: startTime, bootID: BootID.current),
                    argv: request.argv, cwd: cwd, labels: request.labels ?? [:], rows: rows, cols: cols,
                    state: .running, exit: nil, spawnedAt: epochNow(), exitedAt: nil,
                    transcript: transcript?.path, outputBytes: 0, tree: nil, dispatch: request.dispatch, role: request.role,
                    cgroup: cgroup?.path, generation: request.generation
                )
                state.withLock { state in
                    state.agents[request.name] = Record(info: info, ring: ring, terminal: nil)
                    state.pidIndex[spawned.pid] = request.name
                    if let dispatch = request.dispatch { state.dispatches[dispatch]?.agents.append(request.name) }
                }
                return (spawned, info)
            }
        } catch {
            transcript?.close()
            try? cgroup?.remove()
            throw .spawnFailed(error.description)
        }

        do {
            let terminal = try await AgentTerminal.start(masterFD: spawned.masterFD, output: ring, transcript: transcript, group: group) {}
            state.withLock { $0.agents[request.name]?.terminal = terminal }
        } catch {
            Glibc.close(spawned.masterFD)
            if let handle = try? PidFD.open(info.identity) { _ = try? handle.send(SIGKILL) }
            state.withLock { state in
                state.agents[request.name] = nil
                state.pidIndex[spawned.pid] = nil
            }
            throw .spawnFailed("could not attach to the agent's terminal: \(error)")
        }
        metrics.spawns.increment()
        updateRunningGauge()
        logger.info("agent spawned", metadata: ["agent": "\(request.name)", "pid": "\(spawned.pid)", "incarnation": "\(incarnation)", "cgroup": "\(cgroup?.path ?? "none")", "argv": "\(request.argv.joined(separator: " "))"])
        events.publish { AgentEvent(sequence: $0, type: .agentSpawned, agent: info.name, agentID: id, incarnation: incarnation, pid: info.pid, time: info.spawnedAt) }
        await persistRegistry()
        deliveries?.agentStarted(info.name)
        return info
    }

    /// Creates `agents/<id>` and opens it for CLONE_INTO_CGROUP, when the supervisor manages a subtree.
    private func createCgroup(forAgent id: String) throws(AgentError) -> (Cgroup?, Int32?) {
        guard let cgroups = settings.cgroups else { return (nil, nil) }
        let cgroup = cgroups.cgroup(forAgent: id)
        do {
            try cgroup.create()
            return (cgroup, try cgroup.openDirectory())
        } catch {
            try? cgroup.remove()
            throw .spawnFailed("cannot create the agent's cgroup: \(error)")
        }
    }

    private func openTranscript(name: String, incarnation: String) throws(AgentError) -> TranscriptWriter? {
        guard settings.transcriptMaxBytes > 0 else { return nil }
        let directory = "\(settings.stateDirectory)/transcripts"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return try TranscriptWriter(path: "\(directory)/\(name).\(incarnation).log", maxBytes: settings.transcriptMaxBytes)
        } catch {
            throw .spawnFailed("cannot write the transcript under \(directory): \(error)")
        }
    }

    /// Called by the reaper thread for every exited child; returns true for our agents' roots.
    func childExited(pid: Int32, status: ExitStatus) -> Bool {
        let info: AgentInfo? = state.withLock { state in
            guard let name = state.pidIndex.removeValue(forKey: pid), var record = state.agents[name], record.info.pid == pid else { return nil }
            if record.info.state == .running { record.info.state = .exited }
            record.info.exit = status
            record.info.exitedAt = epochNow()
            state.agents[name] = record
            return record.info
        }
        guard let info else {
            let retired = state.withLock { $0.retiredRoots.removeValue(forKey: pid) }
            if let retired {
                // A late exit notice of an earlier incarnation: never attributed to the current one.
                metrics.staleNotice("exit")
                logger.debug("exit of an earlier incarnation dropped", metadata: ["agent": "\(retired)", "pid": "\(pid)"])
            } else {
                metrics.orphansReaped.increment()
            }
            return false
        }
        updateRunningGauge()
        registryChanged()
        logger.info("agent exited", metadata: ["agent": "\(info.name)", "pid": "\(pid)", "status": "\(status)"])
        events.publish { AgentEvent(sequence: $0, type: .agentExited, agent: info.name, agentID: info.id, incarnation: info.incarnation, pid: pid, time: info.exitedAt ?? epochNow(), exit: status) }
        if let deliveries { Task { await deliveries.agentGone(info.name, incarnation: info.incarnation) } }
        return true
    }

    func updateRunningGauge() { metrics.agentsRunning.record(runningCount) }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The agent's tree as the kill engine sees it: its root, its marker and its cgroup. The
    /// tree view and release use this one definition.
    func killTarget(for info: AgentInfo) -> KillTarget {
        KillTarget(roots: [info.identity], marker: EnvironmentMarker(name: AgentEnvironment.agentIDVariable, value: info.id), cgroup: info.cgroup.map { Cgroup(path: $0) })
    }

    func killEngine() -> KillEngine {
        let pidfilePIDs = ProtectedPIDs.fromPidfiles(settings.protectedPidfiles).pids
        let protected = Set(settings.protectedPIDs).union(pidfilePIDs)
        return KillEngine(options: KillOptions(graceSeconds: settings.killGraceSeconds, protected: protected, reapOwnChildren: false))
    }

    static func describeTree(_ members: [(ProcStat, MembershipReason)]) -> [TreeProcess] {
        members.map { stat, _ in
            TreeProcess(pid: stat.pid, ppid: stat.ppid, startTime: stat.startTime, state: stat.state.rawValue, comm: stat.comm, cmdline: ProcessSnapshot.cmdline(of: stat.pid) ?? [])
        }.sorted { $0.pid < $1.pid }
    }

    // MARK: Access for the rest of the manager (I/O and release live in extensions)

    func record(_ name: String) throws(AgentError) -> Record {
        guard let record = state.withLock({ $0.agents[name] }) else { throw .notFound(name) }
        return record
    }

    func mutate<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
}

extension AgentManager.Record {
    var currentInfo: AgentInfo {
        var info = self.info
        info.outputBytes = ring.end
        return info
    }
}

#if canImport(Glibc)
import Glibc
#endif
