import Hummingbird
import OverseerSupervisor

/// The `/v1/dispatches` endpoints: group agents by unit of work, hand a failed one to the reaper.
struct DispatchRoutes {
    let manager: AgentManager

    func register(on router: Router<OverseerRequestContext>) {
        let dispatches = router.group("v1/dispatches")
        dispatches.post { request, context in
            let body = try await JSONResponse.decode(DispatchRequest.self, from: request, context: context)
            let info = try await callManager { () async throws(AgentError) in try manager.createDispatch(body) }
            return try JSONResponse.make(info, status: .created)
        }
        dispatches.get { _, _ in try JSONResponse.make(["dispatches": manager.dispatches()]) }
        dispatches.get(":id") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await callManager { () async throws(AgentError) in try manager.dispatch(id) })
        }
        dispatches.post(":id/fail") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await callManager { () async throws(AgentError) in try await manager.failDispatch(id) })
        }
        dispatches.post(":id/complete") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await callManager { () async throws(AgentError) in try manager.completeDispatch(id) })
        }
    }

}
