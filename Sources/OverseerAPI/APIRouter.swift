import Foundation
import Hummingbird
import OverseerSupervisor

/// Builds the control API's router: peer-credential check, JSON error answers, and the routes.
public enum APIRouter {
    public static func make(manager: AgentManager, allowedUIDs: Set<UInt32> = [0, getuid()]) -> Router<OverseerRequestContext> {
        let router = Router(context: OverseerRequestContext.self)
        router.add(middleware: PeerCredentialMiddleware(allowedUIDs: allowedUIDs))
        router.add(middleware: UnknownErrorMiddleware())
        AgentRoutes(manager: manager).register(on: router)
        DispatchRoutes(manager: manager).register(on: router)
        DeliveryRoutes(manager: manager).register(on: router)
        SystemRoutes(manager: manager, startedAt: Date()).register(on: router)
        return router
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
