import Foundation
import OverseerDelivery
import OverseerIdempotency
import OverseerWire

/// Ordered command streams: each command whose index is above the last processed one for its
/// `(agent, generation)` is applied, the others are reported `replayed`; a command for a
/// generation the agent does not have is `stale`, never applied to another one.
///
/// Spawn, message and release are safe to run again by their content (an agent with that
/// name and generation, a delivery id derived from the command, an agent already gone), so
/// their checkpoint advances after they ran: a crash in between re-runs them harmlessly.
/// Raw input is not, so its checkpoint advances first: at most once.
extension Supervisor {
    public func apply(_ batch: CommandBatch) async throws(SupervisorError) -> StreamCommandResults {
        let checkpoints = try requireCheckpoints()
        await pruneReleasedCheckpoints(checkpoints)
        var results: [StreamCommandResult] = []
        for command in batch.commands { results.append(try await apply(command, checkpoints)) }
        return StreamCommandResults(results: results)
    }

    public func checkpoints() async throws(SupervisorError) -> [CheckpointView] {
        let checkpoints = try requireCheckpoints()
        return try await onCheckpoints(checkpoints, .all()).map(\.view)
    }

    public func acknowledgeCheckpoint(agent: String, generation: Int64) async throws(SupervisorError) {
        let checkpoints = try requireCheckpoints()
        guard try await onCheckpoints(checkpoints, .acknowledge(agent: agent, generation: generation)) else {
            throw .checkpointNotFound(agent: agent, generation: generation)
        }
    }

    private func apply(_ command: StreamCommand, _ checkpoints: CheckpointStore) async throws(SupervisorError) -> StreamCommandResult {
        var result = StreamCommandResult(agent: command.agent, generation: command.generation, index: command.index, status: .applied)
        if let last = try await onCheckpoints(checkpoints, .lastIndex(agent: command.agent, generation: command.generation)), command.index <= last {
            result.status = .replayed
            return result
        }
        let kind = command.command.type
        if kind == .input { try await advance(command, checkpoints) } // at most once: typing is not idempotent
        do throws(CommandOutcome) {
            switch kind {
            case .spawn: result.incarnation = try await spawn(command)
            case .message: result.delivery = try await message(command)
            case .input: try await input(command)
            case .release: try await release(command)
            }
        } catch {
            switch error {
            case .stale(let reason): result.status = .stale; result.error = reason
            case .failed(let reason): result.status = .failed; result.error = reason
            }
        }
        if kind != .input { try await advance(command, checkpoints) }
        if kind == .release { _ = try await onCheckpoints(checkpoints, .markReleased(agent: command.agent, generation: command.generation)) }
        return result
    }

    /// Why a command was not applied: a stale generation, or a failure (its index counts as processed).
    private enum CommandOutcome: Error {
        case stale(String)
        case failed(String)

        init(_ error: SupervisorError) { self = .failed(error.description) }
    }

    /// The agent's current generation, if it exists.
    private func generation(of agent: String) async -> (exists: Bool, generation: Int64?) {
        guard let info = try? await table.record(agent).info else { return (false, nil) }
        return (true, info.generation)
    }

    private func spawn(_ command: StreamCommand) async throws(CommandOutcome) -> String {
        let current = await generation(of: command.agent)
        if current.exists {
            guard current.generation == command.generation else { throw Self.stale(command, current.generation) }
            // This generation already runs (a re-run after a crash): nothing to do.
            do { return try await table.record(command.agent).info.incarnation } catch { throw CommandOutcome(error) }
        }
        let body = command.command
        guard let argv = body.argv, !argv.isEmpty else { throw .failed("spawn needs argv") }
        let request = SpawnRequest(name: command.agent, argv: argv, cwd: body.cwd, env: body.env, rows: body.rows, cols: body.cols, labels: body.labels, generation: command.generation)
        do { return try await spawn(request).incarnation } catch { throw CommandOutcome(error) }
    }

    private func message(_ command: StreamCommand) async throws(CommandOutcome) -> String {
        try await requireGeneration(command)
        guard let text = command.command.text else { throw .failed("message needs text") }
        let id = command.command.id ?? "\(command.agent):\(command.generation):\(command.index)"
        let new = NewDelivery(id: id, agent: command.agent, text: text, submit: command.command.submit ?? true, interrupt: command.command.interrupt ?? false)
        do { return try await submit(new).delivery.id } catch { throw CommandOutcome(error) }
    }

    private func input(_ command: StreamCommand) async throws(CommandOutcome) {
        try await requireGeneration(command)
        var bytes = Array((command.command.text ?? "").utf8)
        if command.command.enter == true { bytes.append(0x0D) }
        guard !bytes.isEmpty else { throw .failed("input needs text") }
        do { try await writeInput(bytes, to: command.agent) } catch { throw CommandOutcome(error) }
    }

    private func release(_ command: StreamCommand) async throws(CommandOutcome) {
        let current = await generation(of: command.agent)
        guard current.exists else { return } // already gone: done
        guard current.generation == command.generation else { throw Self.stale(command, current.generation) }
        do { _ = try await release(command.agent) } catch { throw CommandOutcome(error) }
    }

    private func requireGeneration(_ command: StreamCommand) async throws(CommandOutcome) {
        let current = await generation(of: command.agent)
        guard current.exists, current.generation == command.generation else { throw Self.stale(command, current.generation) }
    }

    private static func stale(_ command: StreamCommand, _ current: Int64?) -> CommandOutcome {
        let now = current.map { "generation \($0)" } ?? "no agent of that name"
        return .stale("\(command.command.type.rawValue) for \(command.agent) generation \(command.generation), but there is \(now): not applied")
    }

    private func advance(_ command: StreamCommand, _ checkpoints: CheckpointStore) async throws(SupervisorError) {
        do {
            try CheckpointStore.validate(agent: command.agent, generation: command.generation, index: command.index)
        } catch {
            throw .checkpointStoreFailed("\(error)")
        }
        _ = try await onCheckpoints(checkpoints, .advance(agent: command.agent, generation: command.generation, index: command.index))
    }

    /// Drops checkpoints of agents released longer ago than the retention, with a warning:
    /// a stream replayed after that can no longer be recognised as a replay.
    private func pruneReleasedCheckpoints(_ checkpoints: CheckpointStore) async {
        let cutoff = Date().timeIntervalSince1970 - settings.checkpointRetentionSeconds
        guard let pruned = try? await onCheckpoints(checkpoints, .pruneReleased(olderThan: cutoff)) else { return }
        for checkpoint in pruned {
            logger.warning("command checkpoint dropped after its retention without an acknowledgement", metadata: [
                "agent": "\(checkpoint.agent)", "generation": "\(checkpoint.generation)", "last_index": "\(checkpoint.lastIndex)",
            ])
        }
    }

    private func requireCheckpoints() throws(SupervisorError) -> CheckpointStore {
        guard let checkpointStore else { throw .checkpointStoreFailed("this supervisor keeps no checkpoint store") }
        return checkpointStore
    }

    /// Runs a checkpoint store operation (on GRDB's queue).
    private func onCheckpoints<T>(_ checkpoints: CheckpointStore, _ operation: StoreOperation<CheckpointStore, T>) async throws(SupervisorError) -> T {
        do {
            return try await checkpoints.perform(operation)
        } catch {
            throw .checkpointStoreFailed("\(error)")
        }
    }
}
