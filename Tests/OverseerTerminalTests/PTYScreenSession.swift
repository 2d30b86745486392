import COverseerSys
import Foundation
import OverseerPTY
import OverseerTerminal
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real program on a real PTY whose output feeds a `TerminalScreen`, with the screen's query
/// answers written back to the master, as the supervisor's drain will do.
final class PTYScreenSession {
    let process: SpawnedPTYProcess
    let screen: TerminalScreen
    let marker = TestProcesses.uniqueMarker()
    /// Everything the program wrote, for diagnostics.
    private(set) var transcript: [UInt8] = []

    init(_ argv: [String], rows: Int = 24, cols: Int = 80, scrollbackLines: Int = 1000, cwd: String? = nil, environment: [String: String] = [:]) throws {
        TestProcesses.becomeSubreaper()
        var env = AgentEnvironment.build(inherited: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"], overrides: environment, agentID: marker, incarnation: "i1")
        env["TERM"] = environment["TERM"] ?? "xterm-256color"
        process = try Spawner.spawnInPTY(SpawnSpec(argv: argv, cwd: cwd, environment: env, rows: UInt16(rows), cols: UInt16(cols)))
        screen = TerminalScreen(rows: rows, cols: cols, scrollbackLines: scrollbackLines)
    }

    /// Reads what is available, feeds it, answers queries. Returns whether anything was read.
    @discardableResult
    func pump(timeoutMilliseconds: Int32 = 20) -> Bool {
        var poller = pollfd(fd: process.masterFD, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var readAny = false
        while true {
            let count = read(process.masterFD, &buffer, buffer.count)
            if count <= 0 { break }
            readAny = true
            transcript += buffer[0..<count]
            let answer = buffer.withUnsafeBytes { screen.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if !answer.isEmpty { type(answer) }
        }
        return readAny
    }

    /// Pumps until `condition` holds on the screen or the deadline passes; returns the last snapshot.
    @discardableResult
    func waitForScreen(timeout: Double = 15, file: StaticString = #filePath, line: UInt = #line, _ condition: (ScreenSnapshot) -> Bool) -> ScreenSnapshot {
        let deadline = Date().addingTimeInterval(timeout)
        var snapshot = screen.snapshot()
        while !condition(snapshot) {
            if Date() > deadline {
                XCTFail("screen never matched; it shows:\n\(snapshot.lines.joined(separator: "\n"))", file: file, line: line)
                return snapshot
            }
            pump()
            snapshot = screen.snapshot()
        }
        return snapshot
    }

    func waitForText(_ text: String, timeout: Double = 15, file: StaticString = #filePath, line: UInt = #line) -> ScreenSnapshot {
        waitForScreen(timeout: timeout, file: file, line: line) { $0.lines.contains { $0.contains(text) } }
    }

    func type(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(process.masterFD, $0.baseAddress, $0.count) }
            if written > 0 { offset += written } else if errno != EAGAIN && errno != EINTR { return } else { pump(timeoutMilliseconds: 5) }
        }
    }

    func type(_ text: String) { type(Array(text.utf8)) }

    func resize(rows: Int, cols: Int) {
        _ = ov_pty_set_size(process.masterFD, UInt16(rows), UInt16(cols))
        screen.resize(rows: rows, cols: cols)
    }

    /// Waits for the program to exit by itself (reaping it); false on timeout.
    func waitForExit(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            pump(timeoutMilliseconds: 10)
            if waitpid(process.pid, &status, WNOHANG) == process.pid { return true }
        }
        return false
    }

    /// Kills what the test started (by its marker), reaps it, closes the master.
    func finish() {
        TestProcesses.killCarrying("OVERSEER_AGENT_ID", marker)
        _ = TestProcesses.reap(process.pid, timeout: 5)
        close(process.masterFD)
    }
}
