import OverseerSupervisor
import OverseerWire
import XCTest

/// The hub's replay buffer and the loss check that turns gaps into `events_lost` events.
final class EventHubTests: XCTestCase {
    private func publish(_ hub: EventHub, _ count: Int) {
        for _ in 0..<count {
            hub.publish { AgentEvent(sequence: $0, type: .agentSpawned, agent: "a", agentID: nil, incarnation: nil, time: 0) }
        }
    }

    /// Up to `limit` events of `stream`, with the loss check applied as the SSE writer does.
    private func read(_ stream: AsyncStream<AgentEvent>, after: UInt64?, limit: Int) async -> [AgentEvent] {
        var check = EventLossCheck(after: after)
        var events: [AgentEvent] = []
        for await event in stream {
            if let lost = check.check(event) { events.append(lost) }
            events.append(event)
            if events.count >= limit { break }
        }
        return events
    }

    func testReplayAfterAnIdStillBuffered() async {
        let hub = EventHub(replayCapacity: 8)
        publish(hub, 5)
        let stream = hub.subscribe(after: 2)
        publish(hub, 1)
        let events = await read(stream, after: 2, limit: 4)
        XCTAssertEqual(events.map(\.sequence), [3, 4, 5, 6])
        XCTAssertFalse(events.contains { $0.type == .eventsLost })
    }

    func testReplayBeyondTheBufferStartsWithALossMarker() async {
        let hub = EventHub(replayCapacity: 4)
        publish(hub, 10)
        let events = await read(hub.subscribe(after: 2), after: 2, limit: 5)
        XCTAssertEqual(events.first?.type, .eventsLost)
        XCTAssertEqual(events.first?.lost, EventsLostInfo(after: 2, count: 4, reason: .overflowed))
        XCTAssertEqual(events.first?.sequence, 6)
        XCTAssertEqual(events.dropFirst().map(\.sequence), [7, 8, 9, 10])
    }

    func testAnIdBeyondTheLatestIsFromAnEarlierInstance() async {
        let hub = EventHub(replayCapacity: 4)
        publish(hub, 2)
        let events = await read(hub.subscribe(after: 99), after: 99, limit: 3)
        XCTAssertEqual(events.first?.type, .eventsLost)
        XCTAssertEqual(events.first?.lost, EventsLostInfo(after: 99, count: nil, reason: .restarted))
        XCTAssertEqual(events.dropFirst().map(\.sequence), [1, 2])
    }

    func testWithoutAnIdOnlyNewEventsArrive() async {
        let hub = EventHub(replayCapacity: 4)
        publish(hub, 3)
        let stream = hub.subscribe()
        publish(hub, 2)
        let events = await read(stream, after: nil, limit: 2)
        XCTAssertEqual(events.map(\.sequence), [4, 5])
    }

    func testAGapInALiveStreamIsNamed() {
        var check = EventLossCheck(after: nil)
        let event = { (sequence: UInt64) in AgentEvent(sequence: sequence, type: .agentExited, agent: "a", agentID: nil, incarnation: nil, time: 0) }
        XCTAssertNil(check.check(event(5)))
        XCTAssertNil(check.check(event(6)))
        let lost = check.check(event(10))
        XCTAssertEqual(lost?.lost, EventsLostInfo(after: 6, count: 3, reason: .overflowed))
        XCTAssertNil(check.check(event(11)))
    }
}
