import Foundation
import OverseerTestSupport
import XCTest

/// Client commands where no supervisor answers: a missing socket fails at once, a socket
/// nobody listens on is retried for `--retry-timeout` seconds with one line saying so.
final class ClientReachTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = TestProcesses.temporaryDirectory("overseer-reach")
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
    }

    override func tearDown() {
        TestProcesses.removeDirectory(directory)
    }

    /// Runs `overseer ARGS...` (configuration from an empty file) and times it.
    func overseer(_ arguments: [String]) throws -> (CommandResult, seconds: Double) {
        let started = ContinuousClock.now
        let result = try CommandRunner.run([SupervisorProcess.binaryPath] + arguments, environment: ["OVERSEER_CONFIG": directory + "/none.toml"], directory: directory, timeout: 90)
        return (result, (ContinuousClock.now - started).asSeconds)
    }

    func testMissingSocketFailsAtOnceWithoutRetrying() throws {
        let cases: [[String]] = [
            ["ps", "--socket", "/nonexistent"],
            ["release", "w", "--socket", "/nonexistent"],
            ["spawn", "w", "--socket", directory + "/gone.sock", "--", "true"],
            ["send", "w", "hello", "--socket", directory + "/gone.sock"],
        ]
        // What merely starting the binary costs on this machine now (a usage error, no socket
        // touched): on a loaded machine the bound below grows by that, never to a retry's 30 s.
        let (_, startup) = try overseer(["ps", "--socket", "/nonexistent", "--retry-timeout=-1"])
        for arguments in cases {
            let (result, seconds) = try overseer(arguments)
            let socket = arguments[arguments.firstIndex(of: "--socket")! + 1]
            XCTAssertEqual(result.status, 3, "\(arguments): \(result.stderr)")
            XCTAssertLessThan(seconds, max(1, startup + 0.5), "\(arguments) took \(seconds) s (starting the binary: \(startup) s)")
            XCTAssertTrue(result.stderr.contains("no supervisor socket at \(socket)"), result.stderr)
            XCTAssertFalse(result.stderr.contains("waiting"), result.stderr)
        }
    }

    func testSocketNobodyListensOnShowsOneWaitingLineAndRespectsRetryTimeout() throws {
        let socket = directory + "/stale.sock"
        try TestSockets.makeStale(at: socket)
        for (arguments, limit) in [(["ps"], "2"), (["release", "w"], "2.5")] {
            let (result, seconds) = try overseer(arguments + ["--socket", socket, "--retry-timeout", limit])
            XCTAssertEqual(result.status, 3, result.stderr)
            let waiting = result.stderr.split(separator: "\n").filter { $0.contains("waiting for the supervisor") }
            XCTAssertEqual(waiting, ["overseer: waiting for the supervisor at \(socket) (up to \(limit) s)"], result.stderr)
            XCTAssertTrue(result.stderr.contains("refused the connection"), result.stderr)
            XCTAssertGreaterThanOrEqual(seconds, Double(limit)!, "gave up before --retry-timeout")
            XCTAssertLessThan(seconds, Double(limit)! + 5, "kept retrying past --retry-timeout")
        }
        // No time to wait, nothing to announce.
        let (once, seconds) = try overseer(["ps", "--socket", socket, "--retry-timeout", "0"])
        XCTAssertEqual(once.status, 3, once.stderr)
        XCTAssertFalse(once.stderr.contains("waiting"), once.stderr)
        XCTAssertLessThan(seconds, 5, "one try, no retries")
    }

    func testUsageErrorsExit64() throws {
        let cases: [([String], String)] = [
            (["ps", "--socket", "/nonexistent", "--retry-timeout", "soon"], "retry-timeout"),
            (["ps", "--socket", "/nonexistent", "--retry-timeout=-1"], "retry-timeout"),
            (["ps", "--socket", "/nonexistent", "--retry-timeout", "nan"], "retry-timeout"),
            (["ps", "--socket", "/nonexistent", "--retry-timeout", "3601"], "retry-timeout"),
            (["ps", "--config", directory + "/missing.toml"], "missing.toml"),
            (["reap", "--registry", "registry.json"], "--registry"),
            (["serve", "--socket", "relative.sock", "--state-dir", directory + "/state"], "--socket"),
        ]
        for (arguments, mention) in cases {
            let (result, _) = try overseer(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(mention), "\(arguments): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/state"), "serve stopped before touching its state")
    }
}

private extension Duration {
    var asSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
