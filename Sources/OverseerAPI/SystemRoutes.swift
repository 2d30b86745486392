import HTTPTypes
import Hummingbird
import OverseerSupervisor
import OverseerWire

/// `/healthz`, `/metrics` and the `/v1/events` Server-Sent Events stream.
struct SystemRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(await supervisor.health()) }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = APIContentType.metrics
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: supervisor.metricsText())))
        }
        router.get("v1/events") { _, _ in events() }
    }

    /// Every lifecycle event from now on, as SSE. A first comment line confirms the
    /// subscription is live; the stream ends when the supervisor shuts down.
    func events() -> Response {
        let stream = supervisor.events()
        var headers = HTTPFields()
        headers[.contentType] = APIContentType.eventStream
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": subscribed\n\n"))
            for await event in stream {
                let data = String(decoding: try JSONResponse.encoder.encode(event), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "id: \(event.sequence)\nevent: \(event.type.rawValue)\ndata: \(data)\n\n"))
            }
            try await writer.finish(nil)
        })
    }
}
