import Foundation
import Synchronization

/// A lifecycle event, as published on the event stream.
public struct AgentEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case agentSpawned = "agent_spawned"
        case agentExited = "agent_exited"
        case agentReleased = "agent_released"
        case deliveryQueued = "delivery_queued"
        case deliveryInjected = "delivery_injected"
        case deliveryVerified = "delivery_verified"
        case deliveryFailed = "delivery_failed"
        case deliveryDropped = "delivery_dropped"
    }

    public var sequence: UInt64
    public var type: Kind
    public var agent: String
    /// The agent's id and incarnation (a delivery event for an agent not running has none).
    public var agentID: String?
    public var incarnation: String?
    public var pid: Int32?
    public var time: Double
    public var exit: ExitStatus?
    /// For releases: processes signalled and survivors.
    public var killed: Int?
    public var survivors: Int?
    /// For delivery events: which delivery, its state, and why.
    public var delivery: DeliveryEventInfo?

    public init(sequence: UInt64, type: Kind, agent: String, agentID: String?, incarnation: String?, pid: Int32? = nil, time: Double, exit: ExitStatus? = nil, killed: Int? = nil, survivors: Int? = nil, delivery: DeliveryEventInfo? = nil) {
        self.sequence = sequence
        self.type = type
        self.agent = agent
        self.agentID = agentID
        self.incarnation = incarnation
        self.pid = pid
        self.time = time
        self.exit = exit
        self.killed = killed
        self.survivors = survivors
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey {
        case sequence, type, agent, incarnation, pid, time, exit, killed, survivors, delivery
        case agentID = "agent_id"
    }
}

/// The delivery part of a `delivery_*` event.
public struct DeliveryEventInfo: Codable, Sendable, Equatable {
    public var id: String
    public var state: String
    /// `echo` or `timeout_fallback` (verified and unverified results).
    public var verification: String?
    public var reason: String?
    /// For `delivery_dropped`: the delivery whose arrival evicted this one.
    public var evictedBy: String?

    public init(id: String, state: String, verification: String? = nil, reason: String? = nil, evictedBy: String? = nil) {
        self.id = id
        self.state = state
        self.verification = verification
        self.reason = reason
        self.evictedBy = evictedBy
    }

    enum CodingKeys: String, CodingKey {
        case id, state, verification, reason
        case evictedBy = "evicted_by"
    }
}

/// Fans events out to every subscriber (SSE clients, tests). Slow subscribers lose the
/// oldest events rather than slowing the supervisor (bounded buffer per subscriber).
public final class EventHub: Sendable {
    private struct State {
        var sequence: UInt64 = 0
        var subscribers: [Int: AsyncStream<AgentEvent>.Continuation] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    private let bufferSize: Int

    public init(bufferSize: Int = 1024) {
        self.bufferSize = bufferSize
    }

    /// Publishes an event (its sequence number is assigned here).
    public func publish(_ make: (UInt64) -> AgentEvent) {
        state.withLock { state in
            state.sequence += 1
            let event = make(state.sequence)
            for continuation in state.subscribers.values { continuation.yield(event) }
        }
    }

    /// A stream of every event published from now on; ends when the consumer stops.
    public func subscribe() -> AsyncStream<AgentEvent> {
        let (stream, continuation) = AsyncStream<AgentEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscription (on shutdown).
    public func finishAll() {
        let all = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }
}

/// Seconds since the epoch, now.
func epochNow() -> Double { Date().timeIntervalSince1970 }
