import Hummingbird
import OverseerIdempotency

/// `DELETE /v1/requests/{key}`: the client acknowledges a stored answer, so its key may be
/// used afresh before the TTL runs out.
struct RequestRoutes {
    let coordinator: IdempotencyCoordinator

    func register(on router: Router<OverseerRequestContext>) {
        router.delete("v1/requests/:key") { _, context in
            let key: String = try context.parameters.require("key")
            let forgotten: Bool
            do throws(IdempotencyError) {
                forgotten = try await coordinator.forget(key: key)
            } catch .invalidKey(_, let reason) {
                throw APIError(.badRequest, code: "invalid_idempotency_key", "\(reason)", field: "key")
            } catch .keyInFlight {
                throw APIError(.conflict, code: "request_in_flight", "the request with Idempotency-Key \(key) is still running", field: "key")
            } catch {
                throw APIError(.serviceUnavailable, code: "idempotency_store", "the idempotency store failed: \(error)")
            }
            guard forgotten else {
                throw APIError(.notFound, code: "request_not_found", "no stored answer for Idempotency-Key \(key)", field: "key")
            }
            return Response(status: .noContent)
        }
    }
}
