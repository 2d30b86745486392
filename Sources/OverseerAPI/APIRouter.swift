import Foundation
import Hummingbird
import OverseerIdempotency
import OverseerSupervisor

/// Builds the control API's router: peer-credential check, JSON error answers, and the routes.
public enum APIRouter {
    public static func make(manager: AgentManager, requests: RequestStores? = nil, allowedUIDs: Set<UInt32> = [0, getuid()]) -> Router<OverseerRequestContext> {
        let router = Router(context: OverseerRequestContext.self)
        router.add(middleware: PeerCredentialMiddleware(allowedUIDs: allowedUIDs))
        router.add(middleware: UnknownErrorMiddleware())
        if let requests {
            router.add(middleware: IdempotencyMiddleware(coordinator: requests.coordinator))
            RequestRoutes(coordinator: requests.coordinator).register(on: router)
            CommandRoutes(manager: manager, checkpoints: requests.checkpoints, retentionSeconds: manager.settings.checkpointRetentionSeconds, logger: manager.logger).register(on: router)
        }
        AgentRoutes(manager: manager).register(on: router)
        DispatchRoutes(manager: manager).register(on: router)
        DeliveryRoutes(manager: manager).register(on: router)
        SystemRoutes(manager: manager, startedAt: Date()).register(on: router)
        return router
    }
}

/// The stores behind Idempotency-Key replays and command-stream checkpoints.
public struct RequestStores: Sendable {
    public let coordinator: IdempotencyCoordinator
    public let checkpoints: CheckpointStore

    /// Opens (or creates) both in one SQLite file.
    public init(path: String, ttl: Double, maxEntries: Int) throws(IdempotencyError) {
        coordinator = try IdempotencyCoordinator(path: path, ttl: ttl, maxEntries: maxEntries)
        checkpoints = try CheckpointStore(path: path)
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
