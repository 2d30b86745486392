import Foundation
import OverseerTerminal
import OverseerTestSupport
import XCTest

/// Real programs on real PTYs, their output fed to the screen model and its answers written back.
final class RealProgramScreenTests: XCTestCase {
    var directory = ""

    override func setUp() {
        directory = TestProcesses.temporaryDirectory("overseer-screen")
    }

    override func tearDown() {
        TestProcesses.removeDirectory(directory)
    }

    func session(_ argv: [String], rows: Int = 24, cols: Int = 80, environment: [String: String] = [:]) throws -> PTYScreenSession {
        try PTYScreenSession(argv, rows: rows, cols: cols, cwd: directory, environment: environment)
    }

    func testBashEnablesBracketedPasteAndShowsTypedTextAtTheCursor() throws {
        let bash = try session(["bash", "--norc", "--noprofile", "-i"], environment: ["PS1": "ready$ "])
        defer { bash.finish() }
        bash.waitForText("ready$")
        XCTAssertTrue(bash.waitForScreen { $0.modes.bracketedPaste }.modes.bracketedPaste, "bash 5.2 sets DECSET 2004 at its prompt")
        bash.type("echo typed-here")
        let typed = bash.waitForScreen { $0.lines.contains("ready$ echo typed-here") }
        XCTAssertEqual(typed.cursorCol, "ready$ echo typed-here".count, "the cursor follows the typed text")
        XCTAssertEqual(typed.lines[typed.cursorRow], "ready$ echo typed-here")
        bash.type("\r")
        let ran = bash.waitForScreen { $0.lines.filter { $0 == "typed-here" }.count == 1 && $0.lines.last(where: { !$0.isEmpty }) == "ready$" }
        XCTAssertFalse(ran.alternateScreen)
        bash.type("printf '\\033]2;%s\\007' 'title from bash'\r")
        XCTAssertEqual(bash.waitForScreen { $0.title == "title from bash" }.title, "title from bash")
    }

    func testVimShowsTheFileAndTildesOnTheAlternateScreenThenLeavesIt() throws {
        let file = directory + "/notes.txt"
        try "first line of notes\nsecond line\n".write(toFile: file, atomically: true, encoding: .utf8)
        let vim = try session(["vim", "-u", "NONE", "-i", "NONE", "-N", "notes.txt"])
        defer { vim.finish() }
        let screen = vim.waitForScreen { $0.lines.first == "first line of notes" && $0.lines.filter { $0 == "~" }.count >= 10 }
        XCTAssertTrue(screen.alternateScreen)
        XCTAssertEqual(screen.lines[1], "second line")
        XCTAssertEqual(screen.lines.count, 24)
        XCTAssertEqual(screen.cursorRow, 0)
        XCTAssertTrue(screen.lines[23].contains("notes.txt"), "the status line: \(screen.lines[23])")
        // A fresh terminal repainted from the model shows the same screen at once.
        let copy = TerminalScreen(rows: 24, cols: 80)
        _ = copy.feed(vim.screen.repaint())
        XCTAssertEqual(copy.snapshot().lines, vim.screen.snapshot().lines)
        vim.type(":q\r")
        XCTAssertTrue(vim.waitForExit(), "vim quit")
        XCTAssertFalse(vim.screen.snapshot().alternateScreen, "vim left the alternate screen")
    }

    func testLessPagesAFile() throws {
        let file = directory + "/pages.txt"
        try (1...200).map { "row number \($0)" }.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let less = try session(["less", "pages.txt"], environment: ["LESS": "", "LESSHISTFILE": "-"])
        defer { less.finish() }
        let first = less.waitForScreen { $0.lines.first == "row number 1" && $0.lines[22] == "row number 23" }
        XCTAssertTrue(first.alternateScreen)
        less.type(" ")
        let second = less.waitForScreen { $0.lines.first == "row number 24" }
        XCTAssertEqual(second.lines[22], "row number 46")
        less.type("q")
        XCTAssertTrue(less.waitForExit())
        XCTAssertFalse(less.screen.snapshot().alternateScreen)
    }

    func testHtopDrawsItsFullScreen() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/htop") else { throw XCTSkip("htop is not installed") }
        let htop = try session(["htop"], rows: 30, cols: 100, environment: ["HTOPRC": directory + "/htoprc"])
        defer { htop.finish() }
        let screen = htop.waitForScreen { snapshot in
            snapshot.lines.contains { $0.contains("PID") && $0.contains("Command") } && snapshot.lines.contains { $0.contains("F10") }
        }
        XCTAssertTrue(screen.alternateScreen)
        XCTAssertNotEqual(screen.modes.mouse, "none", "htop asks for mouse reports")
        htop.type("q")
        XCTAssertTrue(htop.waitForExit())
    }

    func testCursorPositionReportIsAnsweredWithTheCursorPosition() throws {
        let script = """
        import os, sys, termios, tty
        fd = sys.stdin.fileno()
        tty.setraw(fd)
        os.write(1, b"\\x1b[7;13Habc\\x1b[6n")
        reply = b""
        while not reply.endswith(b"R"):
            reply += os.read(fd, 1)
        os.write(1, b"\\r\\n got " + reply[1:] + b" \\r\\n")
        os.read(fd, 1)
        """
        let python = try session(["python3", "-c", script])
        defer { python.finish() }
        let screen = python.waitForText("got [7;16R")
        XCTAssertTrue(screen.lines.contains(" got [7;16R"), "row 7, column 13 + 3 characters")
    }

    func testOutputOfRealProgramsWithWideCharactersAndResize() throws {
        let sh = try session(["sh", "-c", "printf '日本語 😀 end\\n'; trap 'stty size' WINCH; echo armed; while :; do sleep 0.05; done"], rows: 10, cols: 40)
        defer { sh.finish() }
        let screen = sh.waitForText("armed")
        XCTAssertEqual(screen.lines[0], "日本語 😀 end")
        sh.resize(rows: 20, cols: 60)
        kill(sh.process.pid, SIGWINCH)
        let resized = sh.waitForText("20 60")
        XCTAssertEqual(resized.rows, 20)
        XCTAssertEqual(resized.cols, 60)
        XCTAssertEqual(resized.lines.count, 20)
        XCTAssertEqual(resized.lines[0], "日本語 😀 end")
    }

    func testBulkOutputKeepsTheBoundedScrollback() throws {
        let seq = try PTYScreenSession(["seq", "1", "50000"], rows: 24, cols: 80, scrollbackLines: 500, cwd: directory)
        defer { seq.finish() }
        XCTAssertTrue(seq.waitForExit(timeout: 30))
        while seq.pump(timeoutMilliseconds: 50) {}
        let screen = seq.screen.snapshot()
        XCTAssertEqual(Array(screen.lines.prefix(23)), (49978...50000).map(String.init))
        let scrollback = seq.screen.scrollback(10_000)
        XCTAssertEqual(scrollback, (49478...49977).map(String.init), "the 500 lines above the screen, oldest dropped")
    }
}
