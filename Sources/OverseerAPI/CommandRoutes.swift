import Foundation
import Hummingbird
import Logging
import NIOPosix
import OverseerDelivery
import OverseerIdempotency
import OverseerSupervisor

/// Ordered command streams: `POST /v1/commands` applies each command whose index is above
/// the last processed one for its `(agent, generation)` and reports the others `replayed`;
/// `GET /v1/commands/checkpoints` lists the last index of every pair (released agents
/// included); `DELETE /v1/commands/checkpoints/{agent}/{generation}` acknowledges one.
///
/// Spawn, message and release are safe to run again by their content (an agent with that
/// name and generation, a delivery id derived from the command, an agent already gone), so
/// their checkpoint advances after they ran: a crash in between re-runs them harmlessly.
/// Raw input is not, so its checkpoint advances first: at most once.
struct CommandRoutes {
    let manager: AgentManager
    let checkpoints: CheckpointStore
    let retentionSeconds: Double
    let logger: Logger

    func register(on router: Router<OverseerRequestContext>) {
        router.post("v1/commands") { request, context in
            let batch = try await JSONResponse.decode(CommandBatch.self, from: request, context: context)
            await pruneReleased()
            var results: [StreamCommandResult] = []
            for command in batch.commands { results.append(try await apply(command)) }
            return try JSONResponse.make(StreamCommandResults(results: results))
        }
        router.get("v1/commands/checkpoints") { _, _ in
            let all = try await store { try $0.all() }
            return try JSONResponse.make(CheckpointList(checkpoints: all.map(CheckpointView.init)))
        }
        router.delete("v1/commands/checkpoints/:agent/:generation") { _, context in
            let agent: String = try context.parameters.require("agent")
            guard let generation = Int64(try context.parameters.require("generation")) else {
                throw APIError.badRequest("generation must be a whole number", field: "generation")
            }
            guard try await store({ try $0.acknowledge(agent: agent, generation: generation) }) else {
                throw APIError(.notFound, code: "checkpoint_not_found", "no checkpoint for \(agent) generation \(generation)")
            }
            return Response(status: .noContent)
        }
    }

    func apply(_ command: StreamCommand) async throws -> StreamCommandResult {
        var result = StreamCommandResult(agent: command.agent, generation: command.generation, index: command.index, status: .applied)
        if let last = try await store({ try $0.lastIndex(agent: command.agent, generation: command.generation) }), command.index <= last {
            result.status = .replayed
            return result
        }
        let body = command.command
        if body.type == .input {
            try await advance(command) // at most once: typing is not idempotent
        }
        do {
            switch body.type {
            case .spawn: result.incarnation = try await spawn(command)
            case .message: result.delivery = try await message(command)
            case .input: try await input(command)
            case .release: try await release(command)
            }
        } catch let error as StaleGeneration {
            result.status = .stale
            result.error = error.description
        } catch let error as APIError {
            result.status = .failed
            result.error = error.message
        }
        if body.type != .input { try await advance(command) }
        if body.type == .release { _ = try await store { try $0.markReleased(agent: command.agent, generation: command.generation) } }
        return result
    }

    /// The agent's current generation, if it exists.
    func generation(of agent: String) async -> (exists: Bool, generation: Int64?) {
        guard let info = try? await manager.info(name: agent) else { return (false, nil) }
        return (true, info.generation)
    }

    func spawn(_ command: StreamCommand) async throws -> String {
        let current = await generation(of: command.agent)
        if current.exists {
            guard current.generation == command.generation else { throw StaleGeneration(command: command, current: current.generation) }
            // This generation already runs (a re-run after a crash): nothing to do.
            return try await callManager { () async throws(AgentError) in try await manager.info(name: command.agent).incarnation }
        }
        let body = command.command
        guard let argv = body.argv, !argv.isEmpty else { throw APIError.badRequest("spawn needs argv", field: "argv") }
        let request = SpawnRequest(name: command.agent, argv: argv, cwd: body.cwd, env: body.env, rows: body.rows, cols: body.cols, labels: body.labels, generation: command.generation)
        return try await callManager { () async throws(AgentError) in try await manager.spawn(request).incarnation }
    }

    func message(_ command: StreamCommand) async throws -> String {
        try await requireGeneration(command)
        guard let text = command.command.text else { throw APIError.badRequest("message needs text", field: "text") }
        let id = command.command.id ?? "\(command.agent):\(command.generation):\(command.index)"
        let new = NewDelivery(id: id, agent: command.agent, text: text, submit: command.command.submit ?? true, interrupt: command.command.interrupt ?? false)
        do {
            return try await manager.submitMessage(new).delivery.id
        } catch {
            throw APIError.from(error)
        }
    }

    func input(_ command: StreamCommand) async throws {
        try await requireGeneration(command)
        var bytes = Array((command.command.text ?? "").utf8)
        if command.command.enter == true { bytes.append(0x0D) }
        guard !bytes.isEmpty else { throw APIError.badRequest("input needs text", field: "text") }
        try await callManager { () async throws(AgentError) in try await manager.write(name: command.agent, bytes: bytes) }
    }

    func release(_ command: StreamCommand) async throws {
        let current = await generation(of: command.agent)
        guard current.exists else { return } // already gone: done
        guard current.generation == command.generation else { throw StaleGeneration(command: command, current: current.generation) }
        _ = try await callManager { () async throws(AgentError) in try await manager.release(name: command.agent) }
    }

    func requireGeneration(_ command: StreamCommand) async throws {
        let current = await generation(of: command.agent)
        guard current.exists, current.generation == command.generation else {
            throw StaleGeneration(command: command, current: current.generation)
        }
    }

    func advance(_ command: StreamCommand) async throws {
        _ = try await store { try $0.advance(agent: command.agent, generation: command.generation, index: command.index) }
    }

    /// Drops checkpoints of agents released longer ago than the retention, with a warning:
    /// a stream replayed after that can no longer be recognised as a replay.
    func pruneReleased() async {
        let cutoff = Date().timeIntervalSince1970 - retentionSeconds
        guard let pruned = try? await store({ try $0.pruneReleased(olderThan: cutoff) }) else { return }
        for checkpoint in pruned {
            logger.warning("command checkpoint dropped after its retention without an acknowledgement", metadata: [
                "agent": "\(checkpoint.agent)", "generation": "\(checkpoint.generation)", "last_index": "\(checkpoint.lastIndex)",
            ])
        }
    }

    /// Runs a checkpoint store call off the event loop.
    func store<T: Sendable>(_ body: @escaping @Sendable (CheckpointStore) throws -> T) async throws -> T {
        let checkpoints = self.checkpoints
        do {
            return try await NIOThreadPool.singleton.runIfActive { () throws -> T in try body(checkpoints) }
        } catch {
            throw APIError(.serviceUnavailable, code: "checkpoint_store", "the checkpoint store failed: \(error)")
        }
    }
}

/// A command for a generation the agent does not have (any more, or yet).
struct StaleGeneration: Error, CustomStringConvertible {
    let command: StreamCommand
    let current: Int64?

    var description: String {
        let now = current.map { "generation \($0)" } ?? "no agent of that name"
        return "\(command.command.type.rawValue) for \(command.agent) generation \(command.generation), but there is \(now): not applied"
    }
}
