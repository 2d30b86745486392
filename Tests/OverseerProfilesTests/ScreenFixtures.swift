import Foundation
import OverseerTerminal
import XCTest

/// Real screens captured with `tmux capture-pane -p` (Tests/Fixtures/capture_screens.py on the
/// fixtures branch: Codex CLI 0.147.0 against a mock model server, bash 5.2, Python 3.11, a
/// prompt_toolkit 3.0 REPL), with the window title tmux recorded beside each.
enum ScreenFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Screens")

    /// The captured screen `name` (e.g. `codex-idle-80x24`). tmux does not record the cursor:
    /// `cursor` is where the program keeps it (the end of its input line); by default, the end
    /// of the last non-blank row.
    static func load(_ name: String, cursor: (row: Int, col: Int)? = nil, modes: TerminalModes = TerminalModes()) throws -> ScreenSnapshot {
        let text = try String(contentsOf: directory.appendingPathComponent("\(name).txt"), encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let size = name.split(separator: "-").last.map(String.init) ?? ""
        let dimensions = size.split(separator: "x").compactMap { Int($0) }
        XCTAssertEqual(dimensions.count, 2, "fixture name carries COLSxROWS")
        let cols = dimensions.first ?? 80
        let rows = dimensions.last ?? 24
        XCTAssertEqual(lines.count, rows, "\(name): one line per row")
        let title = try? String(contentsOf: directory.appendingPathComponent("\(name).title"), encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        let lastRow = lines.lastIndex { !$0.allSatisfy(\.isWhitespace) } ?? 0
        let position = cursor ?? (lastRow, lines[lastRow].count)
        return ScreenSnapshot(rows: rows, cols: cols, lines: lines, cursorRow: position.row, cursorCol: position.col, title: title, modes: modes)
    }

    /// The row of the last line starting with `prefix`.
    static func row(in snapshot: ScreenSnapshot, startingWith prefix: String) -> Int? {
        snapshot.lines.lastIndex { $0.hasPrefix(prefix) }
    }

    /// The captured screen with the cursor at the end of the last row starting with `prefix`
    /// (Codex's composer `›`, a shell's prompt).
    static func load(_ name: String, cursorAfterLast prefix: String, modes: TerminalModes = TerminalModes()) throws -> ScreenSnapshot {
        var snapshot = try load(name, modes: modes)
        let row = try XCTUnwrap(self.row(in: snapshot, startingWith: prefix), "\(name) has a row starting with \(prefix)")
        snapshot.cursorRow = row
        snapshot.cursorCol = snapshot.lines[row].count
        return snapshot
    }
}

/// A synthetic screen of `rows` × `cols` with `content` from the top and the cursor at the
/// end of `cursorRow` (the last content row unless given).
func screen(_ content: [String], rows: Int = 24, cols: Int = 80, cursorRow: Int? = nil, cursorCol: Int? = nil, title: String? = nil, modes: TerminalModes = TerminalModes()) -> ScreenSnapshot {
    var lines = content
    lines.append(contentsOf: Array(repeating: "", count: max(0, rows - content.count)))
    let row = cursorRow ?? max(0, content.count - 1)
    let col = cursorCol ?? (lines.indices.contains(row) ? lines[row].count : 0)
    return ScreenSnapshot(rows: rows, cols: cols, lines: Array(lines.prefix(rows)), cursorRow: row, cursorCol: col, title: title, modes: modes)
}
