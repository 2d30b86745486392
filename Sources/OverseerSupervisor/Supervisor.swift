import Foundation
import Logging
import NIOCore
import OverseerDelivery
import OverseerIdempotency
import OverseerLineage
import OverseerProcess
import OverseerProfiles
import OverseerPTY
import OverseerRegistry
import OverseerWire

/// Why the supervisor's stores could not be opened (before READY=1; nothing in them is touched).
public enum StoreOpenError: Error, Sendable, CustomStringConvertible {
    case deliveries(String)
    case checkpoints(String)

    public var description: String {
        switch self {
        case .deliveries(let reason), .checkpoints(let reason): reason
        }
    }
}

/// The supervisor: owns the agent table, the dispatches, the delivery engine, the registry
/// writer and the command-stream checkpoints, and offers them to the API as a
/// `SupervisorFacade`. Spawning and release are `AgentLauncher`'s and `AgentReleaser`'s jobs.
public final class Supervisor: SupervisorFacade {
    /// The settings in force; a SIGHUP reload changes their run-time values (`reconfigure`).
    public let live: LiveSettings
    public var settings: SupervisorSettings { live.current }
    public let eventHub: EventHub
    public let metrics: SupervisorMetrics
    public let logger: Logger
    /// This supervisor's own identity (the owner recorded on registry entries).
    public let identity: ProcessIdentity
    /// The durable in-flight registry, when one is configured.
    public let registry: RegistryWriter?
    /// The delivery engine, when a delivery store is configured.
    public let deliveries: DeliveryEngine?
    /// Command-stream checkpoints, when an idempotency store is configured.
    let checkpointStore: CheckpointStore?
    let table: AgentTable
    let dispatchBook: DispatchBook
    let roots: RootProcesses
    /// The agents' lineage from the kernel's fork events, or why it is not followed.
    public let lineage: LineageTracker?
    public let lineageUnavailable: String?
    let watcher: ChildExitWatcher
    let blocking: BlockingWork
    let launcher: AgentLauncher
    let releaser: AgentReleaser
    let trackers = StateTrackers()
    let startedAt = Date()

    /// Opens the stores the settings name (creating their directories 0700).
    public init(settings: SupervisorSettings, group: any EventLoopGroup, events: EventHub? = nil, metrics: SupervisorMetrics = SupervisorMetrics(), logger: Logger, watcher: ChildExitWatcher = .shared, baseEnvironment: [String: String] = AgentEnvironment.current()) throws(StoreOpenError) {
        let live = LiveSettings(settings)
        self.live = live
        let events = events ?? EventHub(replayCapacity: settings.eventBuffer)
        self.eventHub = events
        self.metrics = metrics
        self.logger = logger
        self.watcher = watcher
        let identity = ProcessIdentity.current(pid: getpid()) ?? ProcessIdentity(pid: getpid(), startTime: 0, bootID: BootID.current)
        self.identity = identity
        let table = AgentTable(maxAgents: settings.maxAgents)
        let dispatchBook = DispatchBook()
        let blocking = BlockingWork()
        let roots = RootProcesses(metrics: metrics)
        self.table = table
        self.dispatchBook = dispatchBook
        self.blocking = blocking
        self.roots = roots
        let lineage: LineageTracker?
        if !settings.trackLineage {
            lineage = nil
            lineageUnavailable = "lineage = off"
        } else { do {
            lineage = try LineageTracker { [metrics, logger] total in
                metrics.lineageEventLosses.increment()
                // 1st, 2nd, 4th, 8th... time: said, not flooded.
                if total & (total - 1) == 0 {
                    logger.warning("the kernel dropped process events; agents' lineage may be incomplete (descent, sessions, markers and cgroups still find their trees)", metadata: ["times": "\(total)"])
                }
            }
            lineageUnavailable = nil
        } catch {
            lineage = nil
            lineageUnavailable = "\(error)"
        } }
        self.lineage = lineage
        let registry = settings.registryPath.map { path in
            RegistryWriter(
                store: RegistryStore(path: path), owner: identity, blocking: blocking, metrics: metrics, logger: logger,
                contribution: { RegistryContribution(agents: await table.list(), dispatches: await dispatchBook.all(), owner: identity, stopping: await table.isShuttingDown, lineage: lineage) },
                written: { await table.registryWritten($0) }
            )
        }
        self.registry = registry
        let deliveries = try Self.openDeliveries(settings: live, events: events, metrics: metrics, logger: logger, table: table)
        self.deliveries = deliveries
        do {
            checkpointStore = try settings.idempotencyStorePath.map { path throws(IdempotencyError) in try CheckpointStore(path: path) }
        } catch {
            throw .checkpoints("\(error)")
        }
        launcher = AgentLauncher(live: live, table: table, dispatches: dispatchBook, roots: roots, lineage: lineage, watcher: watcher, group: group, baseEnvironment: baseEnvironment, metrics: metrics, events: events, trackers: trackers, logger: logger)
        releaser = AgentReleaser(live: live, table: table, roots: roots, lineage: lineage, blocking: blocking, deliveries: deliveries, registry: registry, events: events, metrics: metrics, logger: logger)
    }

    private static func openDeliveries(settings live: LiveSettings, events: EventHub, metrics: SupervisorMetrics, logger: Logger, table: AgentTable) throws(StoreOpenError) -> DeliveryEngine? {
        guard let path = live.current.deliveryStorePath else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .deliveries("\(DeliveryError.cannotOpen(path: path, message: "cannot create \(directory): \(error.localizedDescription)"))")
        }
        do {
            return try DeliveryEngine(path: path, live: live, events: events, metrics: metrics, logger: logger) { name in await table.liveAgent(name) }
        } catch {
            throw .deliveries("\(error)")
        }
    }

    // MARK: Lifecycle

    /// Takes the subreaper role and starts receiving child exits.
    public func start() {
        if !SubreaperRole.take() { logger.warning("could not become a child subreaper; orphans will re-parent to pid 1") }
        let roots = self.roots
        watcher.addHandler { pid, status in roots.childExited(pid: pid, status: status) }
        watcher.start()
    }

    /// Runs until cancelled: records agents' exits (in order), keeps agents' states current and
    /// runs the delivery injectors.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { [trackers] in await trackers.run() }
            group.addTask { [self] in
                for await exit in roots.exits { await agentExited(exit) }
            }
            if let deliveries { group.addTask { await deliveries.run() } }
        }
    }

    /// An exit from the stream: recorded (and `agent_exited` published) unless a release of
    /// the incarnation recorded it first.
    private func agentExited(_ exit: AgentExit) async {
        guard let info = await table.recordExit(exit, at: epochNow(), events: eventHub) else { return }
        await updateRunningGauge()
        registry?.requestFlush()
        logger.info("agent exited", metadata: ["agent": "\(info.name)", "pid": "\(exit.pid)", "status": "\(exit.status)"])
        await deliveries?.agentGone(info.name, incarnation: info.incarnation)
    }

    /// Refuses new spawns, ends event streams and wakes long-polling output readers, so the
    /// HTTP server can drain while agents are still being handled.
    public func beginShutdown() async {
        for ring in await table.beginShutdown() { ring.wakeWaiters() }
        trackers.finish()
        eventHub.finishAll()
        registry?.requestFlush() // status: stopping
    }

    /// Applies the shutdown policy: release every agent (default: one kill-engine run for
    /// all of them) or leave them for the reaper. Handed-off agents are the reaper's already.
    public func shutdown() async {
        // In-flight injections finish; the pending set stays in the store for the next start.
        await deliveries?.stop()
        if settings.releaseOnShutdown {
            let claimed = await table.claimAllForShutdown()
            _ = try? await releaser.release(claimed)
            await updateRunningGauge()
        } else {
            let names = await table.leftRunning()
            if !names.isEmpty { logger.notice("leaving agents running for the reaper", metadata: ["agents": "\(names.joined(separator: ","))"]) }
        }
        eventHub.finishAll()
        try? await registry?.flush()
        await blocking.shutdown()
    }

    /// Applies a reloaded configuration's run-time values (`SupervisorSettings.adoptingRuntimeValues`):
    /// they hold for what happens from now on (new spawns, releases, deliveries); running agents
    /// and start-up choices (paths, stores, cgroups) are not touched.
    public func reconfigure(_ new: SupervisorSettings) async {
        live.adopt(new)
        await table.setMaxAgents(new.maxAgents)
    }

    /// One line for STATUS=: "3 agents running, 1 exited or releasing, 2 deliveries pending".
    public func statusLine() async -> String {
        let (running, other) = await table.counts()
        var line = "\(running) agent\(running == 1 ? "" : "s") running"
        if other > 0 { line += ", \(other) exited or releasing" }
        if let pending = await deliveries?.pendingCount { line += ", \(pending) deliver\(pending == 1 ? "y" : "ies") pending" }
        return line
    }

    /// Agents in the table, whatever their state.
    public func agentCount() async -> Int {
        let (running, other) = await table.counts()
        return running + other
    }

    func updateRunningGauge() async {
        metrics.agentsRunning.record(await table.counts().running)
    }

    // MARK: Agents

    public func spawn(_ request: SpawnRequest) async throws(SupervisorError) -> AgentView {
        let info = try await launcher.spawn(request)
        await updateRunningGauge()
        // agent_spawned went out when the table took the agent (before any exit could).
        // Durable spawn: the reaper knows the agent before the caller does, or it does not run.
        if let registry {
            do {
                try await registry.flush()
            } catch {
                throw await refuseUnrecorded(info, registry: registry.path, error: error)
            }
        }
        deliveries?.agentStarted(info.name)
        // The answer names the profile that reads the screen (and the state it starts in).
        return info.view(state: try? await table.record(info.name).tracker.current)
    }

    /// A spawn whose registry entry could not be written: what was spawned is killed (its whole
    /// tree, verified) and the spawn is answered with the error.
    private func refuseUnrecorded(_ info: AgentInfo, registry path: String, error: any Error) async -> SupervisorError {
        logger.error("spawn refused: its registry entry could not be written; killing what was spawned", metadata: [
            "agent": "\(info.name)", "pid": "\(info.pid)", "registry": "\(path)", "error": "\(error)",
        ])
        var outcome = "what was spawned (pid \(info.pid)) was killed"
        do {
            let claimed = try await table.claimForRelease(info.name)
            let report = try await releaser.release([claimed], persisting: false)[0]
            if !report.survivors.isEmpty { outcome = "killing what was spawned left \(report.survivors.count) survivor(s)" }
        } catch {
            outcome = "killing what was spawned failed: \(error)"
        }
        await updateRunningGauge()
        return .notPersisted("agent \"\(info.name)\" was not started: its registry entry could not be written (\(Self.describe(error))); \(outcome)")
    }

    /// A persistence failure in one line, with the errno's number when a system call failed.
    static func describe(_ error: any Error) -> String {
        if case .io(let failure) = error as? RegistryError { return "registry \(failure) (errno \(failure.errno.rawValue))" }
        return "\(error)"
    }

    public func agents() async -> [AgentView] {
        await table.listWithStates().map { $0.info.view(state: $0.state) }
    }

    public func agent(named name: String) async throws(SupervisorError) -> AgentView {
        let record = try await table.record(name)
        let info = record.current
        return info.view(tree: await releaser.tree(of: info), state: record.tracker.current)
    }

    public func agentState(of name: String) async throws(SupervisorError) -> AgentStateView {
        try await table.record(name).tracker.current.view(explain: true)
    }

    public func waitForState(of name: String, until states: Set<String>, timeout: Duration) async throws(SupervisorError) -> AgentStateView {
        if let unknown = states.first(where: { OverseerProfiles.AgentState(rawValue: $0) == nil }) { throw .invalidState(unknown) }
        let tracker = try await table.record(name).tracker
        return await tracker.wait(timeout: timeout) { states.contains($0.state.rawValue) }.view(explain: true)
    }

    public func writeInput(_ bytes: [UInt8], to name: String) async throws(SupervisorError) {
        guard bytes.count <= settings.maxInputBytes else { throw .inputTooLarge(size: bytes.count, limit: settings.maxInputBytes) }
        guard let terminal = try await table.record(name).terminal, terminal.isOpen else { throw .terminalClosed(name) }
        do {
            try await terminal.write(bytes)
        } catch {
            throw .terminalClosed(name)
        }
    }

    public func readOutput(of name: String, from cursor: UInt64, limit: Int, wait: Duration?) async throws(SupervisorError) -> OutputSlice {
        if let wait { try await table.record(name).ring.waitForData(after: cursor, timeout: wait) }
        let chunk = try await table.record(name).ring.read(from: cursor, limit: limit)
        return OutputSlice(start: chunk.start, next: chunk.next, bytes: chunk.bytes, dropped: chunk.dropped, closed: chunk.closed)
    }

    public func resize(_ name: String, rows: Int, cols: Int) async throws(SupervisorError) {
        guard (1...1000).contains(rows), (1...1000).contains(cols) else { throw .invalidSize(rows: rows, cols: cols) }
        let record = try await table.record(name)
        guard let terminal = record.terminal, terminal.isOpen else { throw .terminalClosed(name) }
        // The screen first: the program redraws for the new size once the PTY tells it (SIGWINCH).
        record.screen.resize(rows: rows, cols: cols)
        do {
            try terminal.resize(rows: UInt16(rows), cols: UInt16(cols))
        } catch {
            throw .terminalClosed(name)
        }
        await table.setSize(of: name, rows: UInt16(rows), cols: UInt16(cols))
    }

    public func release(_ name: String) async throws(SupervisorError) -> ReleaseView {
        let before = Set(await orphans().orphans.filter { $0.attributedBy == nil }.map(\.identity))
        let (info, report) = try await releaser.release(name)
        await updateRunningGauge()
        // Adopted during the release and tied to no agent: said, never silently lost.
        let appeared = await orphans().orphans.filter { $0.attributedBy == nil && !before.contains($0.identity) }
        return ReleaseView(agent: name, incarnation: info.incarnation, report: report.view, unattributedOrphans: appeared)
    }

    // MARK: System

    public func health() async -> HealthResponse {
        HealthResponse(status: "ok", pid: getpid(), agentsRunning: await table.counts().running, uptimeSeconds: Date().timeIntervalSince(startedAt), tracking: tracking)
    }

    public func metricsText() -> String { metrics.render() }

    /// Every process adopted as subreaper that is alive now, each tied to its agent when it
    /// can be (`OrphanCensus`); the `overseer_orphans` gauges follow.
    public func orphans() async -> OrphanList {
        let census = OrphanCensus(agents: await table.list(), lineage: lineage)
        let found = (try? await blocking.run { census.take() }) ?? []
        let list = OrphanList(orphans: found)
        metrics.orphansCounted(attributed: found.count - list.unattributed, unattributed: list.unattributed)
        return list
    }

    public func events(after: UInt64?) -> AsyncStream<AgentEvent> { eventHub.subscribe(after: after) }
}

extension Supervisor {
    /// The tracking mode in force, for the start-up line, `healthz` and `overseer config`.
    public var tracking: TrackingView {
        let cgroups = settings.cgroups
        let (mode, misses) = TrackingView.misses(cgroups: cgroups != nil, lineage: lineage != nil)
        return TrackingView(mode: mode, misses: misses, cgroupRoot: cgroups?.root.path, cgroupOrigin: cgroups.map { "\($0.origin)" }, lineageUnavailable: lineage == nil ? lineageUnavailable : nil)
    }
}
