import Hummingbird
import OverseerSupervisor
import OverseerWire

/// The `/v1/dispatches` endpoints: group agents by unit of work, hand a failed one to the reaper.
struct DispatchRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        let dispatches = router.group("v1/dispatches")
        dispatches.post { request, context in
            let body = try await JSONResponse.decode(DispatchRequest.self, from: request, context: context)
            let info = try await calling { () async throws(SupervisorError) in try await supervisor.openDispatch(body) }
            return try JSONResponse.make(info, status: .created)
        }
        dispatches.get { _, _ in try JSONResponse.make(DispatchList(dispatches: await supervisor.dispatches())) }
        dispatches.get(":id") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.dispatch(id) })
        }
        dispatches.post(":id/fail") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.failDispatch(id) })
        }
        dispatches.post(":id/complete") { _, context in
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.completeDispatch(id) })
        }
    }
}
