import Foundation
import OverseerClient
import OverseerPTY
import OverseerTerminal
import OverseerTestSupport
import OverseerWire
import Synchronization
import XCTest

/// The rendered screen through a real `overseer serve` and real programs: GET /screen (text and
/// JSON), `overseer screen`, `logs --plain`, and the repaint an attach starts with.
final class ScreenTests: SupervisorTestCase {
    func screen(_ name: String, scrollback: Int? = nil) async throws -> ScreenView {
        let response = try await client.send(.get("/v1/agents/\(name)/screen?format=json" + (scrollback.map { "&scrollback=\($0)" } ?? "")))
        XCTAssertEqual(response.status, 200, response.text)
        return try response.decode(ScreenView.self)
    }

    func screenText(_ name: String, scrollback: Int? = nil) async throws -> String {
        let response = try await client.send(.get("/v1/agents/\(name)/screen" + (scrollback.map { "?scrollback=\($0)" } ?? "")))
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; charset=utf-8")
        return response.text
    }

    /// Polls the screen until `condition` holds; returns the last one seen.
    func waitForScreen(_ name: String, timeout: Double = 15, _ condition: @escaping (ScreenView) -> Bool) async throws -> ScreenView {
        var last = try await screen(name)
        _ = await TestProcesses.waitUntilAsync(timeout: timeout, interval: 0.05) {
            last = (try? await self.screen(name)) ?? last
            return condition(last)
        }
        XCTAssertTrue(condition(last), "the screen never matched:\n\(last.lines.joined(separator: "\n"))")
        return last
    }

    func overseer(_ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run([SupervisorProcess.binaryPath, arguments[0], "--socket", supervisor.socketPath] + arguments.dropFirst(), directory: supervisor.directory, timeout: 60)
    }

    /// A file of numbered lines, for pagers and editors to show.
    func numberedFile(_ count: Int) throws -> String {
        let path = supervisor.directory + "/numbered.txt"
        try (1...count).map { String(format: "line-%02d", $0) }.joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func requireProgram(_ name: String) throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
        guard path.contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("\(name) is not installed (Scripts/lib/deps.sh ensure_agent_deps installs it)")
        }
    }

    func testBashScreenShowsThePromptAndTheEchoedCommandsOutputAndScrollback() async throws {
        _ = try await spawn("sh1", ["bash", "--norc", "--noprofile", "-i"], env: ["PS1": "screen-test$ ", "HISTFILE": "/dev/null"])
        // Lines come with trailing blanks trimmed: the prompt's space is the cursor's column.
        _ = try await waitForScreen("sh1") { $0.lines.contains("screen-test$") }
        try await send("sh1", "echo out-$((6*7)); seq 1 40")
        let shown = try await waitForScreen("sh1") { $0.lines.contains("40") && $0.lines.last(where: { !$0.isEmpty }) == "screen-test$" }
        XCTAssertEqual(shown.rows, 24)
        XCTAssertEqual(shown.cols, 80)
        XCTAssertEqual(shown.lines.count, 24)
        XCTAssertFalse(shown.alternateScreen)
        XCTAssertNil(shown.scrollback, "no scrollback unless asked for")
        XCTAssertEqual(shown.cursor.row, shown.lines.lastIndex(of: "screen-test$"))
        XCTAssertEqual(shown.cursor.col, "screen-test$ ".count)

        // The command line and its first output scrolled off: the scrollback has them, in order.
        let full = try await screen("sh1", scrollback: 1000)
        let all = (full.scrollback ?? []) + full.lines
        let command = try XCTUnwrap(all.firstIndex(of: "screen-test$ echo out-$((6*7)); seq 1 40"), all.joined(separator: "\n"))
        XCTAssertEqual(Array(all[(command + 1)...(command + 41)]), ["out-42"] + (1...40).map(String.init))

        // The text form is the same lines, trailing blanks dropped, one final newline.
        let text = try await screenText("sh1", scrollback: 1000)
        var expected = all
        while expected.last == "" { expected.removeLast() }
        XCTAssertEqual(text, expected.joined(separator: "\n") + "\n")
        _ = try await release("sh1")
    }

    func testLessAndVimShowTheFilesLinesOnTheAlternateScreen() async throws {
        let file = try numberedFile(60)
        try requireProgram("less")
        _ = try await spawn("pager", ["less", file])
        let paged = try await waitForScreen("pager") { $0.lines.first == "line-01" && $0.lines.contains("line-23") }
        XCTAssertTrue(paged.alternateScreen)
        XCTAssertEqual(Array(paged.lines.prefix(23)), (1...23).map { String(format: "line-%02d", $0) })
        XCTAssertFalse(paged.lines.contains("line-24"), "one screenful only")

        try requireProgram("vim")
        _ = try await spawn("editor", ["vim", "-u", "NONE", "-N", "-n", file])
        let edited = try await waitForScreen("editor") { $0.lines.first == "line-01" && $0.lines.contains { $0.contains("numbered.txt") } }
        XCTAssertTrue(edited.alternateScreen)
        XCTAssertEqual(Array(edited.lines.prefix(23)), (1...23).map { String(format: "line-%02d", $0) })
        XCTAssertEqual(edited.cursor.row, 0)
        _ = try await release("editor")
        _ = try await release("pager")
    }

    func testHtopIsShownOnTheAlternateScreen() async throws {
        try requireProgram("htop")
        _ = try await spawn("top", ["htop"])
        let shown = try await waitForScreen("top") { screen in screen.alternateScreen && screen.lines.contains { $0.contains("PID") && $0.contains("Command") } }
        XCTAssertTrue(shown.lines.contains { $0.contains("Load average") }, shown.lines.joined(separator: "\n"))
        _ = try await release("top")
    }

    func testScreenCommandPrintsTheScreensLinesAndRefusesBadInputNamingIt() async throws {
        _ = try await spawn("cli-screen", ["sh", "-c", "printf 'first\\n\\033[1;32msecond\\033[0m\\n'; exec sleep 600"])
        let shown = try await waitForScreen("cli-screen") { $0.lines.contains("second") }

        let printed = try overseer(["screen", "cli-screen"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertEqual(printed.stdout, shown.text)
        XCTAssertEqual(printed.stdout, "first\nsecond\n")

        let json = try overseer(["screen", "cli-screen", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let view = try JSONDecoder().decode(ScreenView.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(view.lines, shown.lines)
        XCTAssertEqual(view.cursor, shown.cursor)

        let missing = try overseer(["screen", "nobody-here"])
        XCTAssertEqual(missing.status, 4, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nobody-here"), missing.stderr)
        XCTAssertEqual(missing.stdout, "")

        let negative = try overseer(["screen", "cli-screen", "--scrollback=-3"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.stderr.contains("scrollback=-3"), negative.stderr)
        _ = try await release("cli-screen")
    }

    func testLogsPlainRendersColoursAndCursorMovesAway() async throws {
        let script = "printf '\\033[31mred-text\\033[0m plain\\n'; printf 'abcdef\\rXY\\n'; printf 'move\\033[10Gto\\n'; printf 'gone\\033[2K\\rkept\\n'; echo done-marker; exec sleep 600"
        _ = try await spawn("colours", ["sh", "-c", script])
        _ = try await waitForOutput("colours", containing: "done-marker")

        let plain = try overseer(["logs", "colours", "--plain"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "red-text plain\nXYcdef\nmove     to\nkept\ndone-marker\n")
        XCTAssertFalse(plain.stdout.contains("\u{1B}"))

        // The raw log still has the escape sequences the program wrote.
        let raw = try overseer(["logs", "colours"])
        XCTAssertTrue(raw.stdout.contains("\u{1B}[31mred-text"), raw.stdout.debugDescription)

        let follow = try overseer(["logs", "colours", "--plain", "--follow"])
        XCTAssertEqual(follow.status, 64, follow.stderr)
        XCTAssertTrue(follow.stderr.contains("--plain cannot follow"), follow.stderr)

        let missing = try overseer(["logs", "nobody-here", "--plain"])
        XCTAssertEqual(missing.status, 4)
        XCTAssertTrue(missing.stderr.contains("nobody-here"), missing.stderr)
        _ = try await release("colours")
    }

    func testAnExitedAgentsScreenStaysReadableWhileItsRecordExists() async throws {
        _ = try await spawn("brief", ["sh", "-c", "echo last-words"])
        _ = try await TestProcesses.waitUntilAsync(timeout: 10) {
            (try? await self.client.send(.get("/v1/agents/brief")).decode(AgentView.self))?.state == .exited
        }
        let text = try await screenText("brief")
        XCTAssertEqual(text, "last-words\n")
        _ = try await release("brief")
    }

    func testAttachStartsWithARepaintOfTheScreenThenContinuesWithoutAGapOrARepeat() async throws {
        try requireProgram("less")
        let file = try numberedFile(200)
        _ = try await spawn("attach-less", ["less", file])
        let before = try await waitForScreen("attach-less") { $0.lines.first == "line-01" && $0.lines.contains("line-23") }

        let received = ReceivedMessages()
        try await client.withWebSocket("/v1/agents/attach-less/attach") { messages, writer in
            let reader = Task {
                for try await message in messages {
                    guard case .binary(let bytes) = message else { if case .closed = message { return }; continue }
                    received.messages.withLock { $0.append(bytes) }
                }
            }
            defer { reader.cancel() }
            let arrived = await TestProcesses.waitUntilAsync(timeout: 10) { !received.messages.withLock { $0.isEmpty } }
            XCTAssertTrue(arrived, "no repaint arrived")

            // The first message, fed to a fresh screen of the agent's size, draws what GET /screen shows.
            let fresh = TerminalScreen(rows: before.rows, cols: before.cols)
            _ = fresh.feed(received.messages.withLock { $0[0] })
            let repainted = fresh.snapshot()
            XCTAssertEqual(repainted.lines, before.lines)
            XCTAssertTrue(repainted.alternateScreen)
            XCTAssertEqual(repainted.cursorRow, before.cursor.row)
            XCTAssertEqual(repainted.cursorCol, before.cursor.col)

            // Typed paging: the live output after the repaint keeps the fresh screen in step with the
            // supervisor's (a gap or a repeated burst would leave them apart), page after page.
            for page in 1...3 {
                try await writer.send(binary: Array(" ".utf8))
                let top = String(format: "line-%02d", 1 + 23 * page)
                let agentScreen = try await waitForScreen("attach-less") { $0.lines.first == top }
                var seen = 1
                let matched = await TestProcesses.waitUntilAsync(timeout: 10) {
                    let all = received.messages.withLock { $0 }
                    for bytes in all[seen...] { _ = fresh.feed(bytes) }
                    seen = all.count
                    return fresh.snapshot().lines == agentScreen.lines
                }
                XCTAssertTrue(matched, "page \(page): the attached screen shows\n\(fresh.snapshot().lines.joined(separator: "\n"))\nbut the agent's is\n\(agentScreen.lines.joined(separator: "\n"))")
            }
            try await writer.close(reason: "done")
        }
        _ = try await release("attach-less")
    }

    /// Runs `overseer attach NAME` on a PTY of its own, waits for `shown` on it, detaches with
    /// Ctrl-], and returns that terminal's screen model fed everything the client wrote to it.
    func attachAndDetach(_ name: String, waitingFor shown: String) throws -> ScreenSnapshot {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OVERSEER_CONFIG")
        let terminal = try Spawner.spawnInPTY(SpawnSpec(argv: [SupervisorProcess.binaryPath, "attach", "--socket", supervisor.socketPath, name], environment: env, rows: 24, cols: 80))
        defer {
            kill(terminal.pid, SIGKILL)
            _ = TestProcesses.reap(terminal.pid)
            close(terminal.masterFD)
        }
        var written = TestProcesses.readPTY(terminal.masterFD, until: shown)
        XCTAssertTrue(written.contains(shown), written.debugDescription)
        var detach: UInt8 = 0x1D
        _ = write(terminal.masterFD, &detach, 1)
        written += TestProcesses.readPTY(terminal.masterFD, until: "[detached]")
        XCTAssertEqual(TestProcesses.reap(terminal.pid, timeout: 10), 0)
        let model = TerminalScreen(rows: 24, cols: 80)
        _ = model.feed(Array(written.utf8))
        return model.snapshot()
    }

    func testDetachingLeavesTheTerminalAsItWasWhateverTheProgramTurnedOn() async throws {
        _ = try await spawn("modal", ["sh", "-c", "printf '\\033[?1049h\\033[?2004h\\033[?1h\\033[?1000h\\033[?25l\\033[2;2Hfull-screen-marker'; exec sleep 600"])
        _ = try await waitForScreen("modal") { $0.alternateScreen && $0.lines.contains(" full-screen-marker") }
        let after = try attachAndDetach("modal", waitingFor: "full-screen-marker")
        XCTAssertFalse(after.alternateScreen, "back on the main screen")
        XCTAssertEqual(after.modes, TerminalModes(), "mouse, bracketed paste and cursor keys are off")
        XCTAssertTrue(after.cursorVisible)
        XCTAssertFalse(after.lines.contains { $0.contains("full-screen-marker") }, "the program's full screen is gone")

        // A program on the main screen: the detach must not leave an alternate screen it never
        // entered (that would restore a stale cursor); "[detached]" follows the agent's lines.
        _ = try await spawn("plain", ["sh", "-c", "printf 'one\\ntwo\\nthree-marker\\n'; exec sleep 600"])
        _ = try await waitForScreen("plain") { $0.lines.contains("three-marker") }
        let plain = try attachAndDetach("plain", waitingFor: "three-marker")
        let marker = try XCTUnwrap(plain.lines.firstIndex(of: "three-marker"), plain.lines.joined(separator: "\n"))
        let detached = try XCTUnwrap(plain.lines.firstIndex { $0.contains("[detached]") }, plain.lines.joined(separator: "\n"))
        XCTAssertGreaterThan(detached, marker)
        _ = try await release("plain")
        _ = try await release("modal")
    }

}

/// The binary messages an attach received, in order (filled by the reading task).
final class ReceivedMessages: Sendable {
    let messages = Mutex<[[UInt8]]>([])
}
