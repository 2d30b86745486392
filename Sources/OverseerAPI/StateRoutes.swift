import Foundation
import Hummingbird
import OverseerSupervisor
import OverseerWire

/// `GET /v1/agents/{name}/state`: the agent's state from its screen, with the explanation.
/// `?until=idle[,blocked...]` long-polls until the state is one of those (or the agent
/// exits, or `?timeout=S` passes: default 30, at most 3600) and answers the state then; the
/// caller compares it with what it asked for.
struct StateRoutes {
    let supervisor: any SupervisorFacade

    /// Seconds a long poll waits when `timeout` is not given.
    static let defaultTimeout = 30.0
    /// The longest long poll.
    static let maxTimeout = 3600.0

    func register(on router: Router<OverseerRequestContext>) {
        router.get("v1/agents/:name/state") { request, context in try await state(request, context) }
    }

    func state(_ request: Request, _ context: OverseerRequestContext) async throws -> Response {
        let agent: String = try context.parameters.require("name")
        let query = request.uri.queryParameters
        guard let until = query.get("until") else {
            if query.get("timeout") != nil { throw APIError.badRequest("timeout only goes with until", field: "timeout") }
            return try JSONResponse.make(try await calling { () async throws(SupervisorError) in try await supervisor.agentState(of: agent) })
        }
        let states = try Self.states(String(until))
        let seconds = try Self.timeout(query.get("timeout").map { String($0) })
        let timeout = Duration.milliseconds(Int((seconds * 1000).rounded()))
        return try JSONResponse.make(try await calling { () async throws(SupervisorError) in
            try await supervisor.waitForState(of: agent, until: states, timeout: timeout)
        })
    }

    /// The comma-separated state names of `until`; an unknown one is a 400 `invalid_state`.
    static func states(_ text: String) throws -> Set<String> {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty) else {
            throw APIError.badRequest("until=\(text) names no state: give one or more of \(AgentStateView.states.joined(separator: ", ")), comma-separated", field: "until")
        }
        if let unknown = names.first(where: { !AgentStateView.states.contains($0) }) {
            throw APIError(.badRequest, code: "invalid_state", "until=\(text): unknown agent state \"\(unknown)\" (one of \(AgentStateView.states.joined(separator: ", ")))", field: "until")
        }
        return Set(names)
    }

    /// Seconds from `timeout` (default 30); not a number, negative or above 3600 is a 400.
    static func timeout(_ text: String?) throws -> Double {
        guard let text else { return defaultTimeout }
        guard let seconds = Double(text), seconds.isFinite, (0...maxTimeout).contains(seconds) else {
            throw APIError.badRequest("timeout=\(text) is not valid: give seconds from 0 to \(Int(maxTimeout))", field: "timeout")
        }
        return seconds
    }
}
