import Foundation
import OverseerDelivery
import Synchronization

/// Ties the delivery engine to the agents' lifecycle.
extension AgentManager {
    /// The delivery engine, when a store is configured (set once at start-up).
    public var deliveries: DeliveryEngine? { deliveryEngine.withLock { $0 } }

    /// Opens the delivery store (before READY=1) and attaches the engine. A store that cannot
    /// be opened is an error naming its path; nothing in it is touched.
    public func openDeliveries() throws(DeliveryError) {
        guard let path = settings.deliveryStorePath else { return }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .cannotOpen(path: path, message: "cannot create \(directory): \(error.localizedDescription)")
        }
        let engine = try DeliveryEngine(path: path, settings: settings, events: events, metrics: metrics, logger: logger) { [weak self] name in
            self?.liveAgent(name)
        }
        deliveryEngine.withLock { $0 = engine }
    }

    /// The agent's current incarnation, if it runs and its terminal is attached.
    func liveAgent(_ name: String) -> LiveAgent? {
        mutate { state in
            guard let record = state.agents[name], record.info.state == .running, let terminal = record.terminal else { return nil }
            return LiveAgent(id: record.info.id, incarnation: record.info.incarnation, terminal: terminal, ring: record.ring)
        }
    }

    /// Stores a message for an agent that exists (unknown agents are refused, nothing stored).
    public func submitMessage(_ request: NewDelivery) async throws(MessageError) -> EnqueueResult {
        guard let engine = deliveries else { throw .unavailable }
        let known = mutate { state -> AgentState? in state.agents[request.agent]?.info.state }
        guard let known else { throw .unknownAgent(request.agent) }
        if known != .running && !request.awaitNextIncarnation {
            throw .agentNotRunning(request.agent)
        }
        guard request.text.utf8.count <= settings.maxInputBytes else {
            throw .tooLarge(size: request.text.utf8.count, limit: settings.maxInputBytes)
        }
        do {
            return try await engine.submit(request)
        } catch {
            throw .store(error)
        }
    }
}

/// Why a message was refused; the API maps each to an HTTP status.
public enum MessageError: Error, Sendable, CustomStringConvertible {
    case unavailable
    case unknownAgent(String)
    case agentNotRunning(String)
    case tooLarge(size: Int, limit: Int)
    case store(DeliveryError)

    public var description: String {
        switch self {
        case .unavailable: "this supervisor keeps no delivery store"
        case .unknownAgent(let name): "no agent named \"\(name)\""
        case .agentNotRunning(let name): "agent \"\(name)\" is not running (set await_next_incarnation to queue for its next incarnation)"
        case .tooLarge(let size, let limit): "text is \(size) bytes; the limit is \(limit) (max_input_bytes)"
        case .store(let error): "\(error)"
        }
    }
}
