import Foundation
import OverseerProcess
import OverseerTestSupport
import OverseerWire
import XCTest

/// What an agent controls (its argv, a registry's names) never reaches an operator's
/// terminal raw: no C0 control but the line feed, no DEL, no C1, so no escape sequence.
enum TerminalBytes {
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{7F}"
    static let escaped = #"\e]0;pwned\x07\e[2J\u{9b}31m\x7f"#

    /// The control characters in `text` a terminal would act on (line feeds are the output's own).
    static func controls(in text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
    }
}

final class PsHygieneTests: SupervisorTestCase {
    func testPsEscapesAnAgentsCommandLine() async throws {
        _ = try await spawn("inject", ["sh", "-c", "sleep 600", TerminalBytes.hostile])
        let ps = try CommandRunner.run([SupervisorProcess.binaryPath, "ps", "--socket", supervisor.socketPath], directory: supervisor.directory)
        XCTAssertEqual(ps.status, 0, ps.stderr)
        XCTAssertEqual(TerminalBytes.controls(in: ps.stdout), [], ps.stdout.debugDescription)
        XCTAssertTrue(ps.stdout.contains("sh -c sleep 600 " + TerminalBytes.escaped), ps.stdout)
        let json = try CommandRunner.run([SupervisorProcess.binaryPath, "ps", "--json", "--socket", supervisor.socketPath], directory: supervisor.directory)
        let list = try JSONDecoder().decode(AgentList.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(list.agents.first?.argv.last, TerminalBytes.hostile, "JSON keeps the exact argv, for programs")
    }
}

final class ReapHygieneTests: ReaperTestCase {
    func testReapReportAndLogLinesEscapeRegistryNames() throws {
        let bystander = try spawnPlain(argv: ["/bin/sleep", "600"], environment: [:])
        started.append(bystander)
        let name = "evil" + TerminalBytes.hostile
        let json = String(data: try JSONEncoder().encode(name), encoding: .utf8)!
        let path = directory + "/factory.json"
        try #"{"pid": 999999999, "updatedAtMs": 1767225600000, "agents": [{"name": \#(json), "pids": [\#(bystander)]}]}"#.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())

        let result = try CommandRunner.run([SupervisorProcess.binaryPath, "reap", "--registry", path, "--kill-grace", "1", "--config", directory + "/none.toml"],
                                           environment: ["OVERSEER_STATE_DIR": directory + "/state"], directory: directory)

        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(TestProcesses.isAlive(bystander))
        XCTAssertEqual(TerminalBytes.controls(in: result.stdout), [], result.stdout.debugDescription)
        XCTAssertEqual(TerminalBytes.controls(in: result.stderr), [], result.stderr.debugDescription)
        XCTAssertTrue(result.stdout.contains("skipped evil" + TerminalBytes.escaped + ": pid \(bystander) (identity mismatch)"), result.stdout)
        XCTAssertTrue(result.stderr.contains("evil" + TerminalBytes.escaped), "the log line names the agent, escaped: \(result.stderr)")
    }
}
