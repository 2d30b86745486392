import OverseerDelivery
import OverseerWire

/// Messages into agents, through the delivery engine.
extension Supervisor {
    public func submitMessage(_ request: MessageRequest, to agent: String) async throws(SupervisorError) -> MessageAccepted {
        guard let id = request.id else { throw .invalidMessage(field: "id", message: "id is missing: choose one per message (retries reuse it)") }
        guard let text = request.text else { throw .invalidMessage(field: "text", message: "text is missing") }
        let when: DeliveryTiming
        if let asked = request.when {
            guard let known = DeliveryTiming(rawValue: asked) else {
                throw .invalidMessage(field: "when", message: "when is \"\(asked)\"; it must be \"now\" or \"idle\"")
            }
            when = known
        } else {
            when = .now
        }
        let new = NewDelivery(id: id, agent: agent, text: text, submit: request.submit ?? true, interrupt: request.interrupt ?? false, awaitNextIncarnation: request.awaitNextIncarnation ?? false, when: when)
        let result = try await submit(new)
        return MessageAccepted(id: result.delivery.id, state: result.delivery.state.rawValue, position: result.position, duplicate: result.duplicate, evicted: result.evicted.map(\.id))
    }

    /// Stores a message for an agent that exists (unknown agents are refused, nothing stored).
    func submit(_ request: NewDelivery) async throws(SupervisorError) -> EnqueueResult {
        guard let engine = deliveries else { throw .deliveriesUnavailable }
        let state: AgentState
        do {
            state = try await table.record(request.agent).info.state
        } catch {
            throw .agentNotFound(request.agent)
        }
        if state != .running && !request.awaitNextIncarnation { throw .agentNotRunning(request.agent) }
        guard request.text.utf8.count <= settings.maxInputBytes else {
            throw .messageTooLarge(size: request.text.utf8.count, limit: settings.maxInputBytes)
        }
        do {
            return try await engine.submit(request)
        } catch {
            throw SupervisorError(error)
        }
    }

    public func pendingDeliveries(of agent: String) async throws(SupervisorError) -> [DeliveryView] {
        guard let engine = deliveries else { throw .deliveriesUnavailable }
        do {
            return try await engine.pending(agent: agent).map(\.view)
        } catch {
            throw SupervisorError(error)
        }
    }

    public func delivery(_ id: String) async throws(SupervisorError) -> DeliveryView {
        guard let engine = deliveries else { throw .deliveriesUnavailable }
        let found: Delivery?
        do {
            found = try await engine.delivery(id: id)
        } catch {
            throw SupervisorError(error)
        }
        guard let found else { throw .deliveryNotFound(id) }
        return found.view
    }
}
