import Foundation
import OverseerWire
import Synchronization

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
