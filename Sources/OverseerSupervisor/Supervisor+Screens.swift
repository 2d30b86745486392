import OverseerTerminal
import OverseerWire

// What an agent's terminal shows: its rendered screen, the repaint that starts an attach, and
// its output rendered to plain lines.
extension Supervisor {
    public func screen(of name: String, scrollback: Int) async throws(SupervisorError) -> ScreenView {
        let screen = try await table.record(name).screen
        let (snapshot, above) = screen.snapshot(scrollback: max(scrollback, 0))
        return ScreenView(
            rows: snapshot.rows, cols: snapshot.cols, lines: snapshot.lines, scrollback: scrollback > 0 ? above : nil,
            cursor: ScreenView.Cursor(row: snapshot.cursorRow, col: snapshot.cursorCol, visible: snapshot.cursorVisible),
            title: snapshot.title, alternateScreen: snapshot.alternateScreen,
            modes: ScreenView.Modes(bracketedPaste: snapshot.modes.bracketedPaste, applicationCursorKeys: snapshot.modes.applicationCursorKeys, mouse: snapshot.modes.mouse),
            missedBytes: screen.missedBytes
        )
    }

    /// The screen pulls the ring's bytes in order from offset 0, so its count of bytes parsed is
    /// the ring offset its repaint covers, and both are taken under the screen's lock: output
    /// not yet parsed is past `next`, output parsed is in the repaint and before `next`.
    public func screenRepaint(of name: String) async throws(SupervisorError) -> ScreenRepaintSlice {
        let (bytes, fed) = try await table.record(name).screen.repaintWithOffset()
        return ScreenRepaintSlice(bytes: bytes, next: fed)
    }

    public func plainOutput(of name: String, from cursor: UInt64, limit: Int) async throws(SupervisorError) -> PlainOutput {
        let record = try await table.record(name)
        let info = record.current
        let chunk = record.ring.read(from: cursor, limit: limit)
        let rows = Int(info.rows), cols = Int(info.cols)
        // Parsing a whole ring is CPU work of up to a few hundred milliseconds: off the async pool.
        let lines: [String]
        do {
            lines = try await blocking.run { PlainTextRenderer.render(chunk.bytes, rows: rows, cols: cols) }
        } catch {
            throw .shuttingDown
        }
        return PlainOutput(start: chunk.start, next: chunk.next, dropped: chunk.dropped, closed: chunk.closed, lines: lines)
    }
}

extension ScreenRepaintSlice {
    /// Turns off what a repaint may have turned on, for a repaint onto a terminal already in use
    /// (`TerminalScreen.modeReset`).
    public static let modeReset = TerminalScreen.modeReset
}
