import Foundation
import Logging
import OverseerDelivery
import OverseerProfiles
import OverseerPTY
import OverseerTerminal
import OverseerWire

/// What the delivery engine needs to know about a live agent.
public struct LiveAgent: Sendable {
    public var id: String
    public var incarnation: String
    public var terminal: AgentTerminal
    public var ring: OutputRing
    public var screen: TerminalScreen
    /// The program's state from its screen (readiness, idle or busy).
    public var tracker: AgentStateTracker
    /// The settle pause before Enter asked for at spawn; nil: the profile's.
    public var submitDelayMs: Int?

    /// The rules that tell this program's state and how to type into it.
    public var profile: Profile { tracker.profile }
}

/// Messages into agents' terminals, durably: every delivery is in the SQLite store before it
/// is acknowledged, and every later mutation is stored when it happens. One injector per
/// agent types its queued deliveries in order, one at a time, paced by an adaptive throttle,
/// and checks each by its echo. The injectors are child tasks of `run`; store calls run on
/// GRDB's queue (`DeliveryStore.perform`); PTY writes never block (a full input buffer is a
/// retryable write error). The engine keeps the number of
/// queued deliveries itself (for STATUS=), so nobody counts rows to learn it.
public actor DeliveryEngine {
    public nonisolated let store: DeliveryStore
    let live: LiveSettings
    /// The settings in force now (a reload may change the timing and the queue cap).
    nonisolated var settings: SupervisorSettings { live.current }
    let events: EventHub
    let metrics: SupervisorMetrics
    let logger: Logger
    let lookup: @Sendable (String) async -> LiveAgent?

    /// Agents whose injector runs, and those kicked again while it ran.
    var running: Set<String> = []
    var rekicked: Set<String> = []
    var throttles: [String: InjectionThrottle] = [:]
    var lastInjection: [String: ContinuousClock.Instant] = [:]
    /// Per agent, the incarnation whose wait for readiness is over (ready, or its bound spent).
    var readyWaited: [String: String] = [:]
    var stopping = false
    /// Queued deliveries across all agents.
    public internal(set) var pendingCount: Int
    private nonisolated let kicks: AsyncStream<String>.Continuation
    private nonisolated let kickStream: AsyncStream<String>
    private var runState = RunState.notStarted
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    private enum RunState { case notStarted, running, finished }

    /// Opens (or creates) the store and turns deliveries a dead predecessor left mid-injection
    /// into `unverified` (never typed again).
    public init(path: String, live: LiveSettings, events: EventHub, metrics: SupervisorMetrics, logger: Logger, lookup: @escaping @Sendable (String) async -> LiveAgent?) throws(DeliveryError) {
        let store = try DeliveryStore(path: path)
        self.store = store
        self.live = live
        self.events = events
        self.metrics = metrics
        self.logger = logger
        self.lookup = lookup
        (kickStream, kicks) = AsyncStream.makeStream()
        let recovered = try store.recoverInterrupted()
        for delivery in recovered {
            logger.warning("delivery interrupted by a restart: not typed again", metadata: ["delivery": "\(delivery.id)", "agent": "\(delivery.agent)", "reason": "\(delivery.reason ?? "")"])
            Self.publish(.deliveryVerified, delivery, agent: nil, events: events, metrics: metrics)
        }
        _ = try? store.pruneFinished(olderThan: Date().timeIntervalSince1970 - live.current.deliveryRetentionSeconds)
        pendingCount = try store.pendingCount()
    }

    // MARK: API

    /// Stores a delivery and answers once it is durable; a re-posted id returns the existing delivery.
    public func submit(_ request: NewDelivery) async throws(DeliveryError) -> EnqueueResult {
        try request.validate()
        let cap = settings.maxPendingDeliveries
        let result = try await store.perform(.enqueue(request, cap: cap))
        guard !result.duplicate else { return result }
        pendingCount += (result.delivery.state == .queued ? 1 : 0) - result.evicted.count
        let live = await lookup(request.agent)
        publish(.deliveryQueued, result.delivery, agent: live)
        for evicted in result.evicted {
            logger.warning("delivery dropped: queue full", metadata: ["delivery": "\(evicted.id)", "agent": "\(evicted.agent)", "evicted_by": "\(request.id)"])
            publish(.deliveryDropped, evicted, agent: live, evictedBy: request.id)
        }
        kick(request.agent)
        return result
    }

    public func delivery(id: String) async throws(DeliveryError) -> Delivery? {
        try await store.perform(.delivery(id: id))
    }

    public func pending(agent: String) async throws(DeliveryError) -> [Delivery] {
        try await store.perform(.pending(agent: agent))
    }

    // MARK: Agent lifecycle

    /// A new incarnation of `agent` has a terminal: type what waits for it.
    public nonisolated func agentStarted(_ agent: String) { kick(agent) }

    /// The agent is gone (its root exited, or it was released): its queued deliveries fail
    /// with `recipient gone`, except those waiting for its next incarnation. Not during
    /// shutdown, which keeps the pending set.
    public func agentGone(_ agent: String, incarnation: String) async {
        guard !stopping else { return }
        // A late notice about an earlier incarnation must not fail what waits for the new one.
        if let live = await lookup(agent), live.incarnation != incarnation { return }
        guard let failed = try? await store.perform(.failPending(agent: agent)) else { return }
        pendingCount -= failed.count
        for delivery in failed { publish(.deliveryFailed, delivery, agent: nil) }
    }

    /// Starts (or re-arms) the agent's injector.
    nonisolated func kick(_ agent: String) {
        kicks.yield(agent)
    }

    /// Runs the injectors, one child task per agent with work, until `stop`.
    public func run() async {
        runState = .running
        await withDiscardingTaskGroup { group in
            for await agent in kickStream where claimInjector(for: agent) {
                group.addTask { await self.drain(agent) }
            }
        }
        runState = .finished
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters = []
    }

    /// True when the agent's injector should start now (none runs; not stopping).
    private func claimInjector(for agent: String) -> Bool {
        guard !stopping else { return false }
        if running.contains(agent) {
            rekicked.insert(agent)
            return false
        }
        running.insert(agent)
        return true
    }

    /// Graceful shutdown: no new injection starts; the ones in flight finish (typed and
    /// verified or not); the pending set stays in the store for the next start.
    public func stop() async {
        stopping = true
        kicks.finish()
        if runState == .running {
            await withCheckedContinuation { stopWaiters.append($0) }
        }
        try? store.close()
    }

    // MARK: Events

    func publish(_ kind: AgentEvent.Kind, _ delivery: Delivery, agent: LiveAgent?, evictedBy: String? = nil) {
        Self.publish(kind, delivery, agent: agent, evictedBy: evictedBy, events: events, metrics: metrics)
    }

    static func publish(_ kind: AgentEvent.Kind, _ delivery: Delivery, agent: LiveAgent?, evictedBy: String? = nil, events: EventHub, metrics: SupervisorMetrics) {
        metrics.delivery(kind)
        let info = DeliveryEventInfo(id: delivery.id, state: delivery.state.rawValue, verification: delivery.verification?.rawValue, reason: delivery.reason, evictedBy: evictedBy)
        events.publish { sequence in
            AgentEvent(sequence: sequence, type: kind, agent: delivery.agent, agentID: agent?.id, incarnation: delivery.incarnation ?? agent?.incarnation, time: Date().timeIntervalSince1970, delivery: info)
        }
    }
}
