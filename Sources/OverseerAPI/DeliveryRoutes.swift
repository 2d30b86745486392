import Hummingbird
import OverseerSupervisor
import OverseerWire

/// Messages into agents: `POST /v1/agents/{name}/messages`, `GET /v1/agents/{name}/deliveries`
/// (pending ones) and `GET /v1/deliveries/{id}` (state and history).
struct DeliveryRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        // Answered only once the delivery is durable: 202 with its queue position, or 200 with
        // the existing delivery when the id was posted before.
        router.post("v1/agents/:name/messages") { request, context in
            let agent: String = try context.parameters.require("name")
            let body = try await JSONResponse.decode(MessageRequest.self, from: request, context: context)
            let accepted = try await calling { () async throws(SupervisorError) in try await supervisor.submitMessage(body, to: agent) }
            return try JSONResponse.make(accepted, status: accepted.duplicate ? .ok : .accepted)
        }
        router.get("v1/agents/:name/deliveries") { _, context in
            let agent: String = try context.parameters.require("name")
            let pending = try await calling { () async throws(SupervisorError) in try await supervisor.pendingDeliveries(of: agent) }
            return try JSONResponse.make(DeliveryList(agent: agent, deliveries: pending))
        }
        router.get("v1/deliveries/:id") { _, context in
            let id: String = try context.parameters.require("id")
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.delivery(id) })
        }
    }
}
