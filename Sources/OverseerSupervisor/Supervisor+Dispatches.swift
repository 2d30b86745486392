import OverseerWire

/// Dispatches: group agents by unit of work; hand a failed one's agents to the reaper.
extension Supervisor {
    public func openDispatch(_ request: DispatchRequest) async throws(SupervisorError) -> DispatchView {
        if await table.isShuttingDown { throw .shuttingDown }
        return await dispatchBook.open(issue: request.issue?.domain, sessionRef: request.sessionRef, role: request.role).view
    }

    public func dispatches() async -> [DispatchView] {
        await dispatchBook.all().map(\.view)
    }

    public func dispatch(_ id: String) async throws(SupervisorError) -> DispatchView {
        try await dispatchBook.dispatch(id).view
    }

    /// Marks the dispatch's agents `dispatch_failed` and answers only once that is on disk:
    /// from then on the reaper owns them, whatever happens to this supervisor.
    public func failDispatch(_ id: String) async throws(SupervisorError) -> HandoffView {
        let members = try await dispatchBook.fail(id)
        let names = await table.handOff(members, dispatch: id)
        guard !names.isEmpty else { return HandoffView(dispatch: id, agents: [], handoff: false, persisted: false) }
        guard let registry else { throw .registryUnavailable("no registry is configured") }
        do {
            try await registry.flush()
        } catch {
            throw .notPersisted("dispatch \(id) failed, but its agents' handoff could not be written (\(Self.describe(error))); the handoff reaches the registry when a write succeeds (retried every second)")
        }
        let persisted = await table.handoffsPersisted(names)
        logger.notice("dispatch failed: agents handed to the reaper", metadata: ["dispatch": "\(id)", "agents": "\(names.joined(separator: ","))"])
        registry.requestFlush()
        return HandoffView(dispatch: id, agents: names, handoff: true, persisted: persisted)
    }

    /// The work succeeded: the dispatch is closed and its agents are ordinary agents again.
    public func completeDispatch(_ id: String) async throws(SupervisorError) -> DispatchView {
        let info = try await dispatchBook.complete(id)
        await table.leaveDispatch(info.agents, dispatch: id)
        if let registry {
            do {
                try await registry.flush()
            } catch {
                throw .notPersisted("dispatch \(id) completed, but the registry could not be updated (\(Self.describe(error))); its agents' entries are updated when a write succeeds (retried every second)")
            }
        }
        return info.view
    }
}
