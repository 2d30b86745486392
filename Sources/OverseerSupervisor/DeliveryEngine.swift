import Foundation
import Logging
import NIOPosix
import OverseerDelivery
import OverseerPTY
import Synchronization

/// What the delivery engine needs to know about a live agent.
public struct LiveAgent: Sendable {
    public var id: String
    public var incarnation: String
    public var terminal: AgentTerminal
    public var ring: OutputRing
}

/// Messages into agents' terminals, durably: every delivery is in the SQLite store before it
/// is acknowledged, and every later mutation is stored when it happens. One injector per
/// agent types its queued deliveries in order, one at a time, paced by an adaptive throttle,
/// and checks each by its echo. Store calls run on one dedicated thread, never on an event
/// loop; PTY writes never block (a full input buffer is a retryable write error).
public final class DeliveryEngine: Sendable {
    struct State {
        /// Agents whose injector runs, and those kicked again while it ran.
        var running: Set<String> = []
        var rekicked: Set<String> = []
        var tasks: [String: Task<Void, Never>] = [:]
        var throttles: [String: InjectionThrottle] = [:]
        var lastInjection: [String: ContinuousClock.Instant] = [:]
        var stopping = false
    }

    public let store: DeliveryStore
    let settings: SupervisorSettings
    let events: EventHub
    let metrics: SupervisorMetrics
    let logger: Logger
    let pool: NIOThreadPool
    let lookup: @Sendable (String) -> LiveAgent?
    let state = Mutex(State())

    /// Opens (or creates) the store and turns deliveries a dead predecessor left mid-injection
    /// into `unverified` (never typed again).
    public init(path: String, settings: SupervisorSettings, events: EventHub, metrics: SupervisorMetrics, logger: Logger, lookup: @escaping @Sendable (String) -> LiveAgent?) throws(DeliveryError) {
        self.store = try DeliveryStore(path: path)
        self.settings = settings
        self.events = events
        self.metrics = metrics
        self.logger = logger
        self.lookup = lookup
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        self.pool = pool
        let recovered = try store.recoverInterrupted()
        for delivery in recovered {
            logger.warning("delivery interrupted by a restart: not typed again", metadata: ["delivery": "\(delivery.id)", "agent": "\(delivery.agent)", "reason": "\(delivery.reason ?? "")"])
            publish(.deliveryVerified, delivery, agent: nil)
        }
        _ = try? store.pruneFinished(olderThan: Date().timeIntervalSince1970 - settings.deliveryRetentionSeconds)
    }

    /// Runs a store call on the store's own thread.
    func onStore<T: Sendable>(_ body: @escaping @Sendable (DeliveryStore) throws(DeliveryError) -> T) async throws(DeliveryError) -> T {
        let store = self.store
        do {
            return try await pool.runIfActive { () throws -> T in try body(store) }
        } catch let error as DeliveryError {
            throw error
        } catch {
            throw .database(path: store.path, operation: "store call", message: "the store's thread is stopped: \(error)")
        }
    }

    // MARK: API

    /// Stores a delivery and answers once it is durable. Unknown agents are refused before
    /// anything is stored; a re-posted id returns the existing delivery.
    public func submit(_ request: NewDelivery) async throws(DeliveryError) -> EnqueueResult {
        try request.validate()
        let cap = settings.maxPendingDeliveries
        let result = try await onStore { store throws(DeliveryError) in try store.enqueue(request, cap: cap) }
        guard !result.duplicate else { return result }
        let live = lookup(request.agent)
        publish(.deliveryQueued, result.delivery, agent: live)
        for evicted in result.evicted {
            logger.warning("delivery dropped: queue full", metadata: ["delivery": "\(evicted.id)", "agent": "\(evicted.agent)", "evicted_by": "\(request.id)"])
            publish(.deliveryDropped, evicted, agent: live, evictedBy: request.id)
        }
        kick(request.agent)
        return result
    }

    public func delivery(id: String) async throws(DeliveryError) -> Delivery? {
        try await onStore { store throws(DeliveryError) in try store.delivery(id: id) }
    }

    public func pending(agent: String) async throws(DeliveryError) -> [Delivery] {
        try await onStore { store throws(DeliveryError) in try store.pending(agent: agent) }
    }

    /// Queued deliveries across all agents (for STATUS=).
    public var pendingCount: Int { (try? store.pendingCount()) ?? 0 }

    // MARK: Agent lifecycle

    /// A new incarnation of `agent` has a terminal: type what waits for it.
    public func agentStarted(_ agent: String) { kick(agent) }

    /// The agent is gone (its root exited, or it was released): its queued deliveries fail
    /// with `recipient gone`, except those waiting for its next incarnation. Not called
    /// during shutdown, which keeps the pending set.
    public func agentGone(_ agent: String, incarnation: String) async {
        let stopping = state.withLock { $0.stopping }
        guard !stopping else { return }
        // A late notice about an earlier incarnation must not fail what waits for the new one.
        if let live = lookup(agent), live.incarnation != incarnation { return }
        guard let failed = try? await onStore({ store throws(DeliveryError) in try store.failPending(agent: agent) }) else { return }
        for delivery in failed { publish(.deliveryFailed, delivery, agent: nil) }
    }

    /// Starts (or re-arms) the agent's injector.
    func kick(_ agent: String) {
        state.withLock { state in
            guard !state.stopping else { return }
            if state.running.contains(agent) {
                state.rekicked.insert(agent)
                return
            }
            state.running.insert(agent)
            state.tasks[agent] = Task { [self] in await self.drain(agent) }
        }
    }

    /// Graceful shutdown: no new injection starts; the ones in flight finish (typed and
    /// verified or not); the pending set stays in the store for the next start.
    public func stop() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.stopping = true
            return Array(state.tasks.values)
        }
        for task in tasks { await task.value }
        try? await pool.shutdownGracefully()
        try? store.close()
    }

    // MARK: Events

    func publish(_ kind: AgentEvent.Kind, _ delivery: Delivery, agent: LiveAgent?, evictedBy: String? = nil) {
        metrics.delivery(kind)
        let info = DeliveryEventInfo(id: delivery.id, state: delivery.state.rawValue, verification: delivery.verification?.rawValue, reason: delivery.reason, evictedBy: evictedBy)
        events.publish { sequence in
            AgentEvent(sequence: sequence, type: kind, agent: delivery.agent, agentID: agent?.id, incarnation: delivery.incarnation ?? agent?.incarnation, time: Date().timeIntervalSince1970, delivery: info)
        }
    }
}
