import Foundation
import HTTPTypes
import Hummingbird
import OverseerSupervisor
import OverseerWire

/// `/healthz`, `/metrics`, `/v1/orphans` and the `/v1/events` Server-Sent Events stream.
struct SystemRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(await supervisor.health()) }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = APIContentType.metrics
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: supervisor.metricsText())))
        }
        router.get("v1/orphans") { _, _ in try JSONResponse.make(await supervisor.orphans()) }
        router.get("v1/events") { request, _ in try events(lastEventID: request.headers[Self.lastEventID]) }
    }

    /// Lifecycle events as SSE. A first comment line confirms the subscription is live; the
    /// stream ends when the supervisor shuts down. With `Last-Event-ID` (the last `id:` a
    /// client saw), the events after it that the replay buffer still holds come first; any
    /// gap (too old for the buffer, or dropped while this client fell behind) is sent as an
    /// `events_lost` event in its place.
    func events(lastEventID: String?) throws -> Response {
        let after = try Self.parse(lastEventID: lastEventID)
        let stream = supervisor.events(after: after)
        var headers = HTTPFields()
        headers[.contentType] = APIContentType.eventStream
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": subscribed\n\n"))
            var losses = EventLossCheck(after: after)
            for await event in stream {
                if let lost = losses.check(event) { try await writer.write(try Self.frame(lost)) }
                try await writer.write(try Self.frame(event))
            }
            try await writer.finish(nil)
        })
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// The sequence a `Last-Event-ID` header names (nil: none given).
    static func parse(lastEventID: String?) throws -> UInt64? {
        guard let lastEventID, !lastEventID.isEmpty else { return nil }
        guard let id = UInt64(lastEventID.trimmingCharacters(in: .whitespaces)) else {
            throw APIError.badRequest("Last-Event-ID must be an event id (a non-negative integer), got \(lastEventID.debugDescription)", field: "Last-Event-ID")
        }
        return id
    }

    /// One event as an SSE frame: `id:` its sequence, `event:` its type, `data:` its JSON.
    static func frame(_ event: AgentEvent) throws -> ByteBuffer {
        let data = String(decoding: try JSONResponse.encoder.encode(event), as: UTF8.self)
        return ByteBuffer(string: "id: \(event.sequence)\nevent: \(event.type.rawValue)\ndata: \(data)\n\n")
    }
}
