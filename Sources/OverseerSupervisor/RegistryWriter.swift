import Foundation
import Logging
import OverseerLineage
import OverseerProcess
import OverseerRegistry

/// What the supervisor contributes to a registry write: its entries as they should be now.
struct RegistryContribution: Sendable {
    var entries: [RegistryEntry]
    /// Entries already on disk as `dispatch_failed` (absent from the file = consumed).
    var persistedHandoffs: Set<String>
    var status: SupervisorStatus
}

/// What one write found: handoffs now on disk, and handoffs the reaper has consumed.
struct RegistryWriteResult: Sendable {
    var handoffs: Set<String> = []
    var consumed: Set<String> = []
}

/// Keeps the in-flight registry on disk in step with the supervisor's agents.
///
/// Every write is a read-modify-write under the registry's lock: entries written by other
/// supervisor instances (a previous run) are kept for the reaper, and a handed-off entry the
/// reaper has consumed is never written back. It asks `contribution` for the entries when a
/// write starts and hands what it found to `written`. Writes are coalesced: a flush that
/// arrives while a write runs is served by the next one, which covers every flush waiting
/// for it. A failed write keeps everything in memory, is counted and logged, and the
/// heartbeat retries it within a second.
public actor RegistryWriter {
    let store: RegistryStore
    let owner: ProcessIdentity
    let blocking: BlockingWork
    let metrics: SupervisorMetrics
    let logger: Logger
    let contribution: @Sendable () async -> RegistryContribution
    let written: @Sendable (RegistryWriteResult) async -> Void
    private var writing = false
    private var waiting: [CheckedContinuation<Void, any Error>] = []
    /// The registry as the latest write left it; dropped after a failure so the next write
    /// reads the files again.
    private var cache: RegistryCache?
    /// True when the latest write failed (the heartbeat then retries soon).
    private(set) var lastWriteFailed = false
    /// Ticks for every `requestFlush`; the heartbeat service writes on each.
    nonisolated let flushRequests: AsyncStream<Void>
    private nonisolated let requests: AsyncStream<Void>.Continuation

    init(store: RegistryStore, owner: ProcessIdentity, blocking: BlockingWork, metrics: SupervisorMetrics, logger: Logger, contribution: @escaping @Sendable () async -> RegistryContribution, written: @escaping @Sendable (RegistryWriteResult) async -> Void) {
        self.store = store
        self.owner = owner
        self.blocking = blocking
        self.metrics = metrics
        self.logger = logger
        self.contribution = contribution
        self.written = written
        (flushRequests, requests) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public nonisolated var path: String { store.path }

    /// Writes the current state; returns once a write that started after this call has completed.
    public func flush() async throws {
        guard !writing else {
            try await withCheckedThrowingContinuation { waiting.append($0) }
            return
        }
        writing = true
        let own = await writeOnce()
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            let result = await writeOnce()
            for waiter in batch { waiter.resume(with: result) }
        }
        writing = false
        try own.get()
    }

    /// Asks for a write without waiting for it (the heartbeat service runs it).
    nonisolated func requestFlush() {
        requests.yield()
    }

    private func writeOnce() async -> Result<Void, any Error> {
        let contribution = await contribution()
        let store = self.store
        let owner = self.owner
        let cache = self.cache
        self.cache = nil
        do {
            let (result, commit) = try await blocking.run { try Self.write(contribution, to: store, owner: owner, cache: cache) }
            self.cache = commit.cache
            metrics.registryCommitted(journalBytes: commit.journalBytes, snapshotBytes: commit.snapshotBytes, syncs: commit.syncs)
            lastWriteFailed = false
            await written(result)
            return .success(())
        } catch {
            lastWriteFailed = true
            requests.yield() // the heartbeat service retries it
            metrics.registryWriteFailures.increment()
            logger.error("registry write failed; keeping state in memory and retrying", metadata: ["path": "\(store.path)", "error": "\(error)"])
            return .failure(error)
        }
    }

    /// One blocking read-modify-write of the registry (skipping the read when `cache` is still
    /// what is on disk); what it found, and the commit.
    static func write(_ contribution: RegistryContribution, to store: RegistryStore, owner: ProcessIdentity, cache: RegistryCache? = nil) throws -> (RegistryWriteResult, RegistryCommit) {
        let now = Date().timeIntervalSince1970
        var result = RegistryWriteResult()
        let commit = try store.update(timeout: 10, cache: cache) { document in
            let onDisk = Set(document.agents.map(\.id))
            let previousOwner = document.supervisor?.identity
            let foreign = document.agents.filter { ($0.owner ?? previousOwner) != owner }
            var mine: [RegistryEntry] = []
            for entry in contribution.entries {
                if entry.state == .dispatchFailed && contribution.persistedHandoffs.contains(entry.id) && !onDisk.contains(entry.id) {
                    result.consumed.insert(entry.id)
                    continue
                }
                if entry.state == .dispatchFailed { result.handoffs.insert(entry.id) }
                mine.append(entry)
            }
            document.supervisor = SupervisorRecord(identity: owner, status: contribution.status, heartbeatAt: now)
            document.updatedAt = now
            document.agents = foreign + mine
        }
        return (result, commit)
    }
}

extension RegistryContribution {
    /// The entries for `agents` (handed-off agents as `dispatch_failed`, consumed ones left
    /// out), with issue and session from their dispatches.
    init(agents: [AgentInfo], dispatches: [DispatchInfo], owner: ProcessIdentity, stopping: Bool, lineage: LineageTracker? = nil) {
        let byID = Dictionary(dispatches.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var entries: [RegistryEntry] = []
        var persisted: Set<String> = []
        for info in agents where info.handoff != .consumed {
            let dispatch = info.dispatch.flatMap { byID[$0] }
            let entryState: EntryState = info.handoff != .none ? .dispatchFailed : (info.state == .releasing ? .releasing : .running)
            if info.handoff == .persisted { persisted.insert(info.id) }
            entries.append(RegistryEntry(
                id: info.id, name: info.name, role: info.role ?? dispatch?.role, issue: dispatch?.issue,
                sessionRef: dispatch?.sessionRef, dispatchID: info.dispatch, incarnation: info.incarnation,
                state: entryState, roots: [info.identity], cgroup: info.cgroup, owner: owner,
                lineage: lineage.map { Self.recordedLineage($0.members(of: info.id, limit: Self.lineageLimit + 1), root: info.identity) } ?? [],
                createdAt: info.spawnedAt, updatedAt: info.exitedAt ?? info.spawnedAt, reapAttempts: 0, firstUnresolvedAt: nil
            ))
        }
        // `agents` comes oldest first (`AgentTable.list`), so the entries are in creation order already.
        self.init(entries: entries, persistedHandoffs: persisted, status: stopping ? .stopping : .running)
    }
}

extension RegistryContribution {
    /// At most this many lineage identities per entry: the reaper's own scan finds every
    /// descendant of each of them, so the ones it needs most are those that left the tree.
    static let lineageLimit = 1024

    /// The lineage recorded for the reaper: every process the kernel saw born into the tree
    /// but the root (already in `roots`), bounded.
    static func recordedLineage(_ members: [ProcessIdentity], root: ProcessIdentity) -> [ProcessIdentity] {
        Array(members.filter { $0.pid != root.pid }.prefix(lineageLimit))
    }
}
