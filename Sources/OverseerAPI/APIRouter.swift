import Foundation
import Hummingbird
import OverseerIdempotency
import OverseerSupervisor

/// Builds the control API's router: peer-credential check, JSON error answers,
/// Idempotency-Key replays (when a coordinator is given), and the routes, which talk to the
/// supervisor only through its facade.
public enum APIRouter {
    public static func make(supervisor: any SupervisorFacade, idempotency: IdempotencyCoordinator? = nil, allowedUIDs: Set<UInt32> = [0, getuid()]) -> Router<OverseerRequestContext> {
        let router = Router(context: OverseerRequestContext.self)
        router.add(middleware: PeerCredentialMiddleware(allowedUIDs: allowedUIDs))
        register(on: router, supervisor: supervisor, idempotency: idempotency)
        return router
    }

    /// Adds everything but the peer-credential check: JSON error answers, Idempotency-Key
    /// replays (when a coordinator is given), and the routes.
    public static func register(on router: Router<OverseerRequestContext>, supervisor: any SupervisorFacade, idempotency: IdempotencyCoordinator?) {
        router.add(middleware: UnknownErrorMiddleware())
        if let idempotency {
            router.add(middleware: IdempotencyMiddleware(coordinator: idempotency))
            RequestRoutes(coordinator: idempotency).register(on: router)
            CommandRoutes(supervisor: supervisor).register(on: router)
        }
        AgentRoutes(supervisor: supervisor).register(on: router)
        ScreenRoutes(supervisor: supervisor).register(on: router)
        DispatchRoutes(supervisor: supervisor).register(on: router)
        DeliveryRoutes(supervisor: supervisor).register(on: router)
        SystemRoutes(supervisor: supervisor).register(on: router)
    }
}

/// Turns Hummingbird's own errors (404 for unknown routes, 405, body limits) into the same
/// JSON shape as ours, so clients parse one error format.
struct UnknownErrorMiddleware: RouterMiddleware {
    typealias Context = OverseerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            throw APIError(error.status, code: code, error.body ?? "\(error.status.reasonPhrase): \(request.method) \(request.uri.path)")
        }
    }
}
