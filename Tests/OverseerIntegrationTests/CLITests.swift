import Foundation
import OverseerTestSupport
import XCTest

/// The `overseer` command line against a real supervisor: output and exit codes.
final class CLITests: SupervisorTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func overseer(_ arguments: [String], socket: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let directory = supervisor.directory
        let outPath = directory + "/cli.out"
        let errPath = directory + "/cli.err"
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OVERSEER_CONFIG")
        for (key, value) in environment { env[key] = value }
        let socketArgs = arguments.first == "config" ? [] : ["--socket", socket ?? supervisor.socketPath]
        let argv = [SupervisorProcess.binaryPath, arguments[0]] + socketArgs + arguments.dropFirst()
        let pid = try spawnPlain(argv: argv, environment: env, stdin: devnull, stdout: out, stderr: err)
        close(out); close(err); close(devnull)
        let status = TestProcesses.reap(pid, timeout: 60) ?? -1
        return Run(
            status: (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f),
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        )
    }

    func testCommandsAndExitCodes() throws {
        let spawned = try overseer(["spawn", "cli1", "--env", "GREETING=hi there", "--", "sh", "-c", "echo \"$GREETING\"; cat"])
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        XCTAssertTrue(spawned.stdout.hasPrefix("spawned cli1: pid "), spawned.stdout)

        let duplicate = try overseer(["spawn", "cli1", "--", "true"])
        XCTAssertEqual(duplicate.status, 5)
        XCTAssertTrue(duplicate.stderr.contains("already exists"), duplicate.stderr)

        let sent = try overseer(["send", "cli1", "ping-from-cli", "--enter"])
        XCTAssertEqual(sent.status, 0, sent.stderr)
        XCTAssertTrue(TestProcesses.waitUntil(timeout: 10) {
            ((try? self.overseer(["logs", "cli1"]))?.stdout.components(separatedBy: "ping-from-cli").count ?? 0) >= 3
        }, "the typed line is echoed by the terminal and again by cat")
        let logs = try overseer(["logs", "cli1"])
        XCTAssertTrue(logs.stdout.contains("hi there"), logs.stdout)

        let ps = try overseer(["ps"])
        XCTAssertEqual(ps.status, 0)
        XCTAssertTrue(ps.stdout.hasPrefix("NAME"), ps.stdout)
        XCTAssertTrue(ps.stdout.contains("cli1"), ps.stdout)
        let json = try overseer(["ps", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((object?["agents"] as? [[String: Any]])?.first?["name"] as? String, "cli1")

        let released = try overseer(["release", "cli1"])
        XCTAssertEqual(released.status, 0, released.stderr)
        XCTAssertTrue(released.stdout.contains("0 survivors"), released.stdout)
        let again = try overseer(["release", "cli1"])
        XCTAssertEqual(again.status, 4)
        XCTAssertTrue(again.stderr.contains("no agent named \"cli1\""), again.stderr)

        let noSupervisor = try overseer(["ps"], socket: supervisor.directory + "/missing.sock")
        XCTAssertEqual(noSupervisor.status, 3)
        XCTAssertTrue(noSupervisor.stderr.contains("missing.sock"), noSupervisor.stderr)

        let usage = try overseer(["spawn", "x"])
        XCTAssertEqual(usage.status, 64)
    }

    /// Bad input exits 64 wherever it is found: by the argument parser, by the CLI, or by the
    /// supervisor (a 400 answer); a bad path the supervisor finds names its field.
    func testUsageErrorsExit64WhereverTheyAreDetected() throws {
        let cases: [([String], String)] = [
            (["spawn", "a b", "--", "true"], "invalid agent name"),
            (["spawn", ".hidden", "--", "true"], "invalid agent name"),
            (["spawn", "w", "--rows", "0", "--", "true"], "out of range"),
            (["spawn", "w", "--env", "NOEQUALS", "--", "true"], "expected KEY=VALUE"),
            (["wait", "w", "--until", "sleeping"], "unknown state"),
        ]
        for (arguments, message) in cases {
            let run = try overseer(arguments)
            XCTAssertEqual(run.status, 64, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let badCwd = try overseer(["spawn", "w", "--cwd", "/nonexistent-overseer-dir", "--json", "--", "true"])
        XCTAssertEqual(badCwd.status, 1, badCwd.stderr)
        XCTAssertTrue(badCwd.stderr.contains("working directory /nonexistent-overseer-dir"), badCwd.stderr)
        let ps = try overseer(["ps", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((object?["agents"] as? [Any])?.count, 0, "nothing was spawned: \(ps.stdout)")
    }

    func testConfigCommandShowsSourcesAndRejectsBadInput() throws {
        let file = supervisor.directory + "/o.toml"
        try "kill_grace_seconds = 2.5\n".write(toFile: file, atomically: true, encoding: .utf8)
        let shown = try overseer(["config", "--config", file], environment: ["OVERSEER_MAX_AGENTS": "7"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let lines = shown.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("kill_grace_seconds") && $0.contains("2.5") && $0.contains("file \(file)") }, shown.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("max_agents") && $0.contains("7") && $0.contains("env OVERSEER_MAX_AGENTS") }, shown.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("log_level") && $0.hasSuffix("default") }, shown.stdout)

        try "kill_grace = 2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let unknown = try overseer(["config", "--config", file])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("unknown key \"kill_grace\""), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains(file), unknown.stderr)

        let badValue = try overseer(["config"], environment: ["OVERSEER_ON_SHUTDOWN": "explode"])
        XCTAssertEqual(badValue.status, 1)
        XCTAssertTrue(badValue.stderr.contains("OVERSEER_ON_SHUTDOWN"), badValue.stderr)
        let get = try overseer(["config", "--get", "default_rows"])
        XCTAssertEqual(get.stdout, "24\n")
    }
}
