import Foundation
import Logging
import NIOPosix
import OverseerProcess
import OverseerRegistry
import Synchronization

/// Keeps the in-flight registry on disk in step with the supervisor's agents.
///
/// Every write is a read-modify-write under the registry's lock: entries written by other
/// supervisor instances (a previous run) are kept for the reaper, and a handed-off entry
/// the reaper has consumed is never written back. Writes are coalesced (at most one
/// running and one queued) and run on the blocking pool. A failed write keeps everything
/// in memory, is counted and logged, and is retried.
public final class RegistryWriter: Sendable {
    /// What the manager contributes to a write.
    public struct Contribution: Sendable {
        public var entries: [RegistryEntry]
        /// Entries already on disk as `dispatch_failed` (absent from the file = consumed).
        public var persistedHandoffs: Set<String>
        public var status: SupervisorStatus
    }

    struct Flights {
        var queued: Task<Void, any Error>?
        var tail: Task<Void, any Error>?
        var retryScheduled = false
    }

    let store: RegistryStore
    let owner: ProcessIdentity
    let pool: NIOThreadPool
    let metrics: SupervisorMetrics
    let logger: Logger
    let snapshot: @Sendable () -> Contribution
    let written: @Sendable (_ handoffs: Set<String>, _ consumed: Set<String>) -> Void
    private let flights = Mutex(Flights())

    init(store: RegistryStore, owner: ProcessIdentity, pool: NIOThreadPool, metrics: SupervisorMetrics, logger: Logger, snapshot: @escaping @Sendable () -> Contribution, written: @escaping @Sendable (Set<String>, Set<String>) -> Void) {
        self.store = store
        self.owner = owner
        self.pool = pool
        self.metrics = metrics
        self.logger = logger
        self.snapshot = snapshot
        self.written = written
    }

    public var path: String { store.path }

    /// Writes the current state; returns once a write that started after this call has
    /// completed (joining one that is queued but not yet started).
    public func flush() async throws {
        let task: Task<Void, any Error> = flights.withLock { flights in
            if let queued = flights.queued { return queued }
            let previous = flights.tail
            let task = Task<Void, any Error> {
                _ = try? await previous?.value
                self.flights.withLock { $0.queued = nil }
                try await self.pool.runIfActive { try self.writeOnce() }
            }
            flights.queued = task
            flights.tail = task
            return task
        }
        do {
            try await task.value
        } catch {
            metrics.registryWriteFailures.increment()
            logger.error("registry write failed; keeping state in memory and retrying", metadata: ["path": "\(store.path)", "error": "\(error)"])
            scheduleRetry()
            throw error
        }
    }

    /// Requests a write without waiting for it.
    public func requestFlush() {
        Task { try? await self.flush() }
    }

    private func scheduleRetry() {
        let schedule = flights.withLock { flights -> Bool in
            defer { flights.retryScheduled = true }
            return !flights.retryScheduled
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: .seconds(1))
            self.flights.withLock { $0.retryScheduled = false }
            try? await self.flush()
        }
    }

    /// One blocking read-modify-write of the registry file.
    func writeOnce() throws {
        let contribution = snapshot()
        let now = Date().timeIntervalSince1970
        var handoffs: Set<String> = []
        var consumed: Set<String> = []
        _ = try store.update(timeout: 10) { document in
            let onDisk = Set(document.agents.map(\.id))
            let previousOwner = document.supervisor?.identity
            let foreign = document.agents.filter { ($0.owner ?? previousOwner) != owner }
            var mine: [RegistryEntry] = []
            for entry in contribution.entries {
                if entry.state == .dispatchFailed && contribution.persistedHandoffs.contains(entry.id) && !onDisk.contains(entry.id) {
                    consumed.insert(entry.id)
                    continue
                }
                if entry.state == .dispatchFailed { handoffs.insert(entry.id) }
                mine.append(entry)
            }
            document.version = 1
            document.supervisor = SupervisorRecord(identity: owner, status: contribution.status, heartbeatAt: now)
            document.updatedAt = now
            document.agents = foreign + mine
        }
        written(handoffs, consumed)
    }
}

/// Lets the registry writer (created in the manager's init) reach the manager.
final class RegistryEntriesBox: @unchecked Sendable {
    /// Set once, in the manager's init, before any write can happen.
    weak var manager: AgentManager?

    func snapshot() -> RegistryWriter.Contribution {
        manager?.registryContribution() ?? RegistryWriter.Contribution(entries: [], persistedHandoffs: [], status: .stopping)
    }

    func written(_ handoffs: Set<String>, consumed: Set<String>) {
        manager?.registryWritten(handoffs: handoffs, consumed: consumed)
    }
}
