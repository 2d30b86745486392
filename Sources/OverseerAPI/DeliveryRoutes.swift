import Foundation
import HTTPTypes
import Hummingbird
import OverseerDelivery
import OverseerSupervisor

/// Messages into agents: `POST /v1/agents/{name}/messages`, `GET /v1/agents/{name}/deliveries`
/// (pending ones) and `GET /v1/deliveries/{id}` (state and history).
struct DeliveryRoutes {
    let manager: AgentManager

    func register(on router: Router<OverseerRequestContext>) {
        router.post("v1/agents/:name/messages") { request, context in try await post(request, context) }
        router.get("v1/agents/:name/deliveries") { _, context in
            let agent: String = try context.parameters.require("name")
            guard let engine = manager.deliveries else { throw APIError.from(MessageError.unavailable) }
            let pending = try await callStore { () async throws(DeliveryError) in try await engine.pending(agent: agent) }
            return try JSONResponse.make(DeliveryList(agent: agent, deliveries: pending))
        }
        router.get("v1/deliveries/:id") { _, context in
            let id: String = try context.parameters.require("id")
            guard let engine = manager.deliveries else { throw APIError.from(MessageError.unavailable) }
            guard let delivery = try await callStore({ () async throws(DeliveryError) in try await engine.delivery(id: id) }) else {
                throw APIError(.notFound, code: "delivery_not_found", "no delivery \"\(id)\"", field: "id")
            }
            return try JSONResponse.make(delivery)
        }
    }

    /// Answers only once the delivery is durable: 202 with its queue position, or 200 with the
    /// existing delivery when the id was posted before.
    func post(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let agent: String = try context.parameters.require("name")
        let body = try await JSONResponse.decode(MessageRequest.self, from: request, context: context)
        guard let id = body.id else { throw APIError.badRequest("id is missing: choose one per message (retries reuse it)", field: "id") }
        guard let text = body.text else { throw APIError.badRequest("text is missing", field: "text") }
        let new = NewDelivery(id: id, agent: agent, text: text, submit: body.submit ?? true, interrupt: body.interrupt ?? false, awaitNextIncarnation: body.awaitNextIncarnation ?? false)
        let result: EnqueueResult
        do {
            result = try await manager.submitMessage(new)
        } catch {
            throw APIError.from(error)
        }
        let answer = MessageAccepted(id: result.delivery.id, state: result.delivery.state.rawValue, position: result.position, duplicate: result.duplicate, evicted: result.evicted.map(\.id))
        return try JSONResponse.make(answer, status: result.duplicate ? .ok : .accepted)
    }
}

/// Body of `POST /v1/agents/{name}/messages`; `id` and `text` are checked by hand so the
/// error names the missing one.
struct MessageRequest: Codable, Sendable {
    var id: String?
    var text: String?
    var submit: Bool?
    var interrupt: Bool?
    var awaitNextIncarnation: Bool?

    enum CodingKeys: String, CodingKey {
        case id, text, submit, interrupt
        case awaitNextIncarnation = "await_next_incarnation"
    }
}

/// Answer to a message post.
public struct MessageAccepted: Codable, Sendable, Equatable {
    public var id: String
    public var state: String
    /// 1-based place among the agent's queued deliveries (nil once it left the queue).
    public var position: Int?
    /// True when this id was posted before: nothing new was queued.
    public var duplicate: Bool
    /// Older deliveries dropped to keep the agent's queue within max_pending_deliveries.
    public var evicted: [String]
}

/// Answer to `GET /v1/agents/{name}/deliveries`.
public struct DeliveryList: Codable, Sendable {
    public var agent: String
    public var deliveries: [Delivery]
}

func callStore<T>(_ body: () async throws(DeliveryError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw APIError.from(MessageError.store(error))
    }
}

extension APIError {
    /// Maps refused messages onto HTTP.
    static func from(_ error: MessageError) -> APIError {
        switch error {
        case .unavailable: APIError(.serviceUnavailable, code: "deliveries_unavailable", error.description)
        case .unknownAgent: APIError(.notFound, code: "agent_not_found", error.description)
        case .agentNotRunning: APIError(.conflict, code: "agent_not_running", error.description)
        case .tooLarge: APIError(.contentTooLarge, code: "text_too_large", error.description, field: "text")
        case .store(let inner):
            switch inner {
            case .invalidRequest(let field, _): APIError(.badRequest, code: "bad_request", inner.description, field: field)
            case .conflict: APIError(.unprocessableContent, code: "delivery_conflict", inner.description, field: "id")
            case .notFound: APIError(.notFound, code: "delivery_not_found", inner.description, field: "id")
            default: APIError(.internalServerError, code: "store_error", inner.description)
            }
        }
    }
}
