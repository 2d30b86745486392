import Foundation
import OverseerRegistry

extension AgentManager {
    public func createDispatch(_ request: DispatchRequest) throws(AgentError) -> DispatchInfo {
        let info = DispatchInfo(id: "d-" + Self.randomHex(8), issue: request.issue, sessionRef: request.sessionRef, role: request.role, state: .open, agents: [], createdAt: Date().timeIntervalSince1970)
        let refused: AgentError? = mutate { state in
            if state.shuttingDown { return .shuttingDown }
            state.dispatches[info.id] = info
            return nil
        }
        if let refused { throw refused }
        return info
    }

    public func dispatches() -> [DispatchInfo] {
        mutate { Array($0.dispatches.values) }.sorted { $0.createdAt < $1.createdAt }
    }

    public func dispatch(_ id: String) throws(AgentError) -> DispatchInfo {
        guard let info = mutate({ $0.dispatches[id] }) else { throw .dispatchNotFound(id) }
        return info
    }

    /// Marks the dispatch's agents `dispatch_failed` and answers only once that is on disk:
    /// from then on the reaper owns them, whatever happens to this supervisor.
    public func failDispatch(_ id: String) async throws(AgentError) -> HandoffResult {
        let marked: Result<[String], AgentError> = mutate { state in
            guard var dispatch = state.dispatches[id] else { return .failure(.dispatchNotFound(id)) }
            if dispatch.state == .completed { return .failure(.dispatchClosed(id, state: "completed")) }
            dispatch.state = .failed
            state.dispatches[id] = dispatch
            var names: [String] = []
            for name in dispatch.agents {
                guard let record = state.agents[name], record.info.dispatch == id else { continue }
                if record.info.handoff == .none { state.agents[name]?.info.handoff = .pending }
                names.append(name)
            }
            return .success(names)
        }
        let names = try marked.get()
        guard !names.isEmpty else { return HandoffResult(dispatch: id, agents: [], handoff: false, persisted: false) }
        guard let registry else { throw .registryUnavailable("no registry is configured") }
        do {
            try await registry.flush()
        } catch {
            throw .registryUnavailable("\(error)")
        }
        let persisted = mutate { state in names.allSatisfy { state.agents[$0].map { $0.info.handoff != .pending } ?? true } }
        logger.notice("dispatch failed: agents handed to the reaper", metadata: ["dispatch": "\(id)", "agents": "\(names.joined(separator: ","))"])
        registryChanged()
        return HandoffResult(dispatch: id, agents: names, handoff: true, persisted: persisted)
    }

    /// The work succeeded: the dispatch is closed and its agents are ordinary agents again.
    public func completeDispatch(_ id: String) throws(AgentError) -> DispatchInfo {
        let result: Result<DispatchInfo, AgentError> = mutate { state in
            guard var dispatch = state.dispatches[id] else { return .failure(.dispatchNotFound(id)) }
            if dispatch.state == .failed { return .failure(.dispatchClosed(id, state: "failed")) }
            dispatch.state = .completed
            state.dispatches[id] = nil
            for name in dispatch.agents where state.agents[name]?.info.dispatch == id {
                state.agents[name]?.info.dispatch = nil
            }
            return .success(dispatch)
        }
        let info = try result.get()
        registryChanged()
        return info
    }
}
