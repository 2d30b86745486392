import Hummingbird
import OverseerSupervisor
import OverseerWire

/// Ordered command streams (the rules are the supervisor's): `POST /v1/commands` applies a
/// batch, `GET /v1/commands/checkpoints` lists the last index of every `(agent, generation)`
/// (released agents included), `DELETE /v1/commands/checkpoints/{agent}/{generation}`
/// acknowledges one.
struct CommandRoutes {
    let supervisor: any SupervisorFacade

    func register(on router: Router<OverseerRequestContext>) {
        router.post("v1/commands") { request, context in
            let batch = try await JSONResponse.decode(CommandBatch.self, from: request, context: context)
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.apply(batch) })
        }
        router.get("v1/commands/checkpoints") { _, _ in
            let all = try await calling { () async throws(SupervisorError) in try await supervisor.checkpoints() }
            return try JSONResponse.make(CheckpointList(checkpoints: all))
        }
        router.delete("v1/commands/checkpoints/:agent/:generation") { _, context in
            let agent: String = try context.parameters.require("agent")
            guard let generation = Int64(try context.parameters.require("generation")) else {
                throw APIError.badRequest("generation must be a whole number", field: "generation")
            }
            try await calling { () async throws(SupervisorError) in try await supervisor.acknowledgeCheckpoint(agent: agent, generation: generation) }
            return Response(status: .noContent)
        }
    }
}
