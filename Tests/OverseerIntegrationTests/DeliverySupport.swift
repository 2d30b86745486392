import Foundation
import OverseerWire
import OverseerClient
import OverseerDelivery
import OverseerSupervisor
import OverseerTestSupport
import XCTest

/// Shared by the delivery tests: posting messages, waiting for verdicts, restarting the
/// supervisor with the same settings, and agents that log every line they read to a file.
class DeliveryTestCase: SupervisorTestCase {
    override var supervisorEnvironment: [String: String] {
        ["OVERSEER_DELIVERY_TYPED_SECONDS": "2", "OVERSEER_DELIVERY_READY_SECONDS": "3"]
    }

    struct Posted {
        var status: Int
        var accepted: MessageAccepted?
        var text: String
    }

    func post(_ agent: String, id: String?, text: String?, submit: Bool? = nil, interrupt: Bool? = nil, awaitNext: Bool? = nil, when: String? = nil) async throws -> Posted {
        var body: [String: Any] = [:]
        if let when { body["when"] = when }
        if let id { body["id"] = id }
        if let text { body["text"] = text }
        if let submit { body["submit"] = submit }
        if let interrupt { body["interrupt"] = interrupt }
        if let awaitNext { body["await_next_incarnation"] = awaitNext }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let response = try await request(.post, "/v1/agents/\(agent)/messages", json: json)
        return Posted(status: response.status, accepted: try? response.decode(MessageAccepted.self), text: response.text)
    }

    func delivery(_ id: String) async throws -> DeliveryView? {
        let response = try await client.send(.get("/v1/deliveries/\(id)"))
        return response.status == 200 ? try response.decode(DeliveryView.self) : nil
    }

    /// Polls until the delivery reaches a final state.
    func verdict(_ id: String, timeout: Double = 20) async throws -> DeliveryView {
        var last: DeliveryView?
        _ = await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.05) {
            last = try? await self.delivery(id)
            return last?.state.isTerminal ?? false
        }
        let final = try XCTUnwrap(last, "delivery \(id) unknown")
        XCTAssertTrue(final.state.isTerminal, "delivery \(id) still \(final.state) after \(timeout) s")
        return final
    }

    /// `sh` reading lines from its terminal (echo on) and appending each to `file`.
    func lineLogger(_ file: String) -> [String] {
        ["sh", "-c", "while IFS= read -r l; do printf '%s\\n' \"$l\" >> \(file); done"]
    }

    func lines(of file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Stops (SIGTERM) or kills (SIGKILL) the supervisor and starts it again with the same settings.
    func restartSupervisor(kill: Bool = false) throws {
        if kill { supervisor.kill9() } else { _ = supervisor.stop() }
        try supervisor.start(extraArguments: ["--kill-grace", "2"] + supervisorArguments, environment: supervisorEnvironment)
    }
}
