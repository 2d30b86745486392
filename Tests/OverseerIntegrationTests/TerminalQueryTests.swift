import Foundation
import OverseerTestSupport
import XCTest

/// Programs under Overseer see a terminal that answers the queries a real one answers, as
/// tmux does: the answer is what the program itself read from its terminal (ground truth).
final class TerminalQueryTests: SupervisorTestCase {
    func testCursorPositionAndDeviceAttributeQueriesAreAnsweredToTheProgram() async throws {
        let file = NSTemporaryDirectory() + "overseer-query-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: file) }
        // Raw mode, then ask for the cursor position (after moving it to row 5, column 10) and
        // the primary device attributes; store what comes back on the terminal.
        let script = #"stty raw -echo; printf '\033[5;10H\033[6n\033[c'; timeout --foreground 5 dd bs=1 count=64 of=FILE 2>/dev/null; stty sane"#
            .replacingOccurrences(of: "FILE", with: file)
        _ = try await spawn("query", ["bash", "-c", script])
        var answer = ""
        let answered = await TestProcesses.waitUntilAsync(timeout: 15, interval: 0.05) {
            answer = (try? String(contentsOfFile: file, encoding: .isoLatin1)) ?? ""
            return answer.contains("R") && answer.contains("c")
        }
        XCTAssertTrue(answered, "the program read \(answer.debugDescription)")
        XCTAssertTrue(answer.contains("\u{1B}[5;10R"), "cursor position report: \(answer.debugDescription)")
        XCTAssertTrue(answer.contains("\u{1B}[?"), "device attributes: \(answer.debugDescription)")
        _ = try await release("query")
    }
}
