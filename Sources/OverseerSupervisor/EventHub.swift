import Foundation
import OverseerWire
import Synchronization

/// Fans events out to every subscriber (SSE clients, tests) and keeps the latest
/// `replayCapacity` of them, so a subscriber that reconnects with the last sequence it saw
/// (`Last-Event-ID`) gets what it missed. Slow subscribers lose the oldest events rather than
/// slowing the supervisor (bounded buffer per subscriber); `EventLossCheck` turns every such
/// gap into an explicit `events_lost` event.
public final class EventHub: Sendable {
    private struct State {
        var sequence: UInt64 = 0
        var subscribers: [Int: AsyncStream<AgentEvent>.Continuation] = [:]
        var nextID = 0
        /// The latest events, oldest first, at most `replayCapacity` of them (a ring).
        var recent: [AgentEvent] = []
        var recentStart = 0

        mutating func remember(_ event: AgentEvent, capacity: Int) {
            guard capacity > 0 else { return }
            if recent.count < capacity {
                recent.append(event)
            } else {
                recent[recentStart] = event
                recentStart = (recentStart + 1) % capacity
            }
        }

        /// The remembered events after `sequence`, oldest first.
        func recent(after sequence: UInt64) -> [AgentEvent] {
            let ordered = recent[recentStart...] + recent[..<recentStart]
            return ordered.filter { $0.sequence > sequence }
        }
    }

    private let state = Mutex(State())
    private let bufferSize: Int
    /// Events kept for replay (the `event_buffer` setting).
    public let replayCapacity: Int

    public init(bufferSize: Int = 1024, replayCapacity: Int = 4096) {
        self.bufferSize = bufferSize
        self.replayCapacity = max(0, replayCapacity)
    }

    /// Publishes an event (its sequence number is assigned here).
    public func publish(_ make: (UInt64) -> AgentEvent) {
        state.withLock { state in
            state.sequence += 1
            let event = make(state.sequence)
            state.remember(event, capacity: replayCapacity)
            for continuation in state.subscribers.values { continuation.yield(event) }
        }
    }

    /// The sequence of the latest event published (0: none yet).
    public var lastSequence: UInt64 { state.withLock { $0.sequence } }

    /// A stream of every event published from now on; ends when the consumer stops. With
    /// `after` (the last sequence the subscriber saw), the remembered events after it come
    /// first, in order; a sequence this supervisor has not reached yet (an earlier instance's)
    /// yields an `events_lost` event first, then every remembered event.
    public func subscribe(after: UInt64? = nil) -> AsyncStream<AgentEvent> {
        let (stream, continuation) = AsyncStream<AgentEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize + replayCapacity))
        let id = state.withLock { state in
            if let after {
                if after > state.sequence {
                    continuation.yield(.eventsLost(after: after, count: nil, reason: .restarted, sequence: 0, time: epochNow()))
                    for event in state.recent(after: 0) { continuation.yield(event) }
                } else {
                    for event in state.recent(after: after) { continuation.yield(event) }
                }
            }
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

/// Finds the gaps in one subscriber's stream (events older than the replay buffer, or dropped
/// because the subscriber fell behind) and names them with an `events_lost` event, so a
/// client is never silently missing events.
public struct EventLossCheck: Sendable {
    /// The sequence expected next (nil: whatever comes first).
    private var expected: UInt64?

    /// `after`: the last sequence the subscriber saw before this stream (`Last-Event-ID`).
    public init(after: UInt64?) {
        expected = after.map { $0 &+ 1 }
    }

    /// The `events_lost` event to send before `event`, if events are missing before it.
    public mutating func check(_ event: AgentEvent) -> AgentEvent? {
        if event.type == .eventsLost {
            // The hub's own marker (another instance's id): count afresh from what follows.
            expected = nil
            return nil
        }
        defer { expected = event.sequence &+ 1 }
        guard let expected, event.sequence > expected else { return nil }
        return .eventsLost(after: expected - 1, count: event.sequence - expected, reason: .overflowed, sequence: event.sequence - 1, time: epochNow())
    }
}

/// Seconds since the epoch, now.
func epochNow() -> Double { Date().timeIntervalSince1970 }
