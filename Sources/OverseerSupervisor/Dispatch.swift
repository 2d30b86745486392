import Foundation
import OverseerRegistry

/// A dispatch (a unit of work) and the agents spawned into it.
public struct DispatchInfo: Sendable {
    public enum State: String, Sendable { case open, failed, completed }

    public var id: String
    public var issue: IssueRef?
    public var sessionRef: String?
    public var role: String?
    public var state: State
    public var agents: [String]
    public var createdAt: Double
}

/// The open and failed dispatches. A completed dispatch is forgotten; a failed one stays,
/// so its agents' registry entries keep their issue and session.
actor DispatchBook {
    private var dispatches: [String: DispatchInfo] = [:]

    func open(issue: IssueRef?, sessionRef: String?, role: String?) -> DispatchInfo {
        let info = DispatchInfo(id: "d-" + randomHex(8), issue: issue, sessionRef: sessionRef, role: role, state: .open, agents: [], createdAt: epochNow())
        dispatches[info.id] = info
        return info
    }

    func all() -> [DispatchInfo] {
        dispatches.values.sorted { $0.createdAt < $1.createdAt }
    }

    func dispatch(_ id: String) throws(SupervisorError) -> DispatchInfo {
        guard let info = dispatches[id] else { throw .dispatchNotFound(id) }
        return info
    }

    /// Refuses a spawn into a dispatch that does not exist or is closed.
    func requireOpen(_ id: String) throws(SupervisorError) {
        let info = try dispatch(id)
        guard info.state == .open else { throw .dispatchClosed(id, state: info.state.rawValue) }
    }

    func join(_ id: String, agent: String) {
        dispatches[id]?.agents.append(agent)
    }

    /// Marks the dispatch failed; returns its agents.
    func fail(_ id: String) throws(SupervisorError) -> [String] {
        guard var info = dispatches[id] else { throw .dispatchNotFound(id) }
        if info.state == .completed { throw .dispatchClosed(id, state: "completed") }
        info.state = .failed
        dispatches[id] = info
        return info.agents
    }

    /// Closes the dispatch successfully and forgets it.
    func complete(_ id: String) throws(SupervisorError) -> DispatchInfo {
        guard var info = dispatches[id] else { throw .dispatchNotFound(id) }
        if info.state == .failed { throw .dispatchClosed(id, state: "failed") }
        info.state = .completed
        dispatches[id] = nil
        return info
    }
}

/// `bytes` random bytes as lowercase hex.
func randomHex(_ bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
}
