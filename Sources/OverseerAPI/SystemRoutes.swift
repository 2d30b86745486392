import Foundation
import HTTPTypes
import Hummingbird
import OverseerSupervisor

/// `/healthz`, `/metrics` and the `/v1/events` Server-Sent Events stream.
struct SystemRoutes {
    let manager: AgentManager
    let startedAt: Date

    func register(on router: Router<OverseerRequestContext>) {
        router.get("healthz") { _, _ in
            try JSONResponse.make(HealthResponse(status: "ok", pid: getpid(), agentsRunning: manager.runningCount, uptimeSeconds: Date().timeIntervalSince(startedAt)))
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: manager.metrics.render())))
        }
        router.get("v1/events") { _, _ in events() }
    }

    /// Every lifecycle event from now on, as SSE. A first comment line confirms the
    /// subscription is live; the stream ends when the supervisor shuts down.
    func events() -> Response {
        let stream = manager.events.subscribe()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
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
