import ArgumentParser
import COverseerSys
import Dispatch
import Foundation
import OverseerClient
import Synchronization

/// `overseer attach NAME`: a raw terminal session with the agent over one WebSocket
/// (`/v1/agents/NAME/attach`). The supervisor first repaints the agent's current screen (and
/// the modes its program set), then streams its output as it is produced; keystrokes go out as
/// they are read, window-size changes follow SIGWINCH. Ctrl-] detaches; the agent keeps
/// running, and this terminal's modes are reset (see `modeReset`).
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach this terminal to an agent (raw mode, keystrokes and window size forwarded).",
        discussion: "Detach with Ctrl-] (the byte 0x1d); the agent keeps running."
    )

    static let detachByte: UInt8 = 0x1D
    /// Sent to this terminal when the session ends: turns off what the repaint or the program
    /// turned on (mouse reporting, bracketed paste, application cursor keys and keypad, a scroll
    /// region (keeping the cursor where it is), the pen, a hidden cursor), so the shell the user returns to behaves as before.
    static let modeReset = Array("\u{1B}[?1000l\u{1B}[?1002l\u{1B}[?1003l\u{1B}[?1006l\u{1B}[?2004l\u{1B}[?1l\u{1B}>\u{1B}7\u{1B}[r\u{1B}8\u{1B}[0m\u{1B}[?25h".utf8)
    /// Sent before `modeReset` when the output left this terminal on the alternate screen: back
    /// to the main screen and the cursor where it was before.
    static let leaveAlternateScreen = Array("\u{1B}[?1049l".utf8)

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            // Looked up first: a missing agent gets its clear error (the upgrade could only refuse).
            _ = try await client.agent(name)
            let isTTY = isatty(0) == 1
            var saved = [UInt8](repeating: 0, count: ov_termios_size())
            if isTTY {
                // Raw first: whatever is typed once the banner shows goes to the agent untouched.
                _ = ov_tty_make_raw(0, &saved)
                FileHandle.standardError.write(Data("[attached to \(name); detach with Ctrl-]]\r\n".utf8))
            }
            defer { if isTTY { _ = ov_tty_restore(0, &saved) } }
            let screen = ScreenState()
            let path = "/v1/agents/\(SupervisorClient.segment(name))/attach"
            let outcome: String
            do {
                outcome = try await client.http.withWebSocket(path) { messages, writer in
                    try await Self.session(messages: messages, writer: writer, isTTY: isTTY, screen: screen)
                }
            } catch {
                outcome = "lost the supervisor: \(error)"
            }
            if isatty(1) == 1 {
                // Off the alternate screen first: that restores the cursor it saved, and the reset's
                // own cursor save (around the scroll-region reset) must not take that slot.
                if screen.tracker.withLock({ $0.isOnAlternateScreen }) { writeAll(1, Self.leaveAlternateScreen) }
                writeAll(1, Self.modeReset)
            }
            if isTTY { _ = ov_tty_restore(0, &saved) }
            FileHandle.standardError.write(Data("\r\n[\(outcome)]\r\n".utf8))
            // The stdin reader thread may still block in read(2); exit without waiting for it.
            Foundation.exit(0)
        }
    }

    /// Copies output to stdout and stdin to the agent until either side ends; returns why.
    static func session(messages: WebSocketMessages, writer: WebSocketWriter, isTTY: Bool, screen: ScreenState) async throws -> String {
        let winch = windowChanges(writer, enabled: isTTY)
        defer { winch?.cancel() }
        if isTTY { await sendWindowSize(writer) }
        return await withTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    for try await message in messages {
                        switch message {
                        case .binary(let bytes):
                            screen.tracker.withLock { $0.observe(bytes) }
                            writeAll(1, bytes)
                        case .text: continue
                        case .closed(_, let reason): return reason.isEmpty ? "the supervisor ended the session" : reason
                        }
                    }
                    return "lost the supervisor"
                } catch {
                    return "lost the supervisor: \(error)"
                }
            }
            group.addTask {
                for await bytes in standardInput() {
                    if let index = bytes.firstIndex(of: detachByte) {
                        if index > 0 { try? await writer.send(binary: Array(bytes[..<index])) }
                        try? await writer.close(reason: "detached")
                        return "detached"
                    }
                    do {
                        try await writer.send(binary: bytes)
                    } catch {
                        return "input failed: \(error)"
                    }
                }
                return "end of input"
            }
            let first = await group.next() ?? "detached"
            group.cancelAll()
            return first
        }
    }

    /// Chunks read from fd 0 on a dedicated thread (blocking reads never hold the async pool).
    static func standardInput() -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(0, &buffer, buffer.count)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    continuation.yield(Array(buffer[0..<n]))
                }
                continuation.finish()
            }
            thread.start()
        }
    }

    /// Sends this terminal's size as a resize message.
    static func sendWindowSize(_ writer: WebSocketWriter) async {
        var rows: UInt16 = 0
        var cols: UInt16 = 0
        guard ov_pty_get_size(0, &rows, &cols) == 0, rows > 0, cols > 0 else { return }
        try? await writer.send(text: #"{"rows": \#(rows), "cols": \#(cols)}"#)
    }

    static func windowChanges(_ writer: WebSocketWriter, enabled: Bool) -> (any DispatchSourceSignal)? {
        guard enabled else { return nil }
        signal(SIGWINCH, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGWINCH)
        source.setEventHandler { Task { await sendWindowSize(writer) } }
        source.resume()
        return source
    }
}

/// What the session's output did to this terminal, read once it ends.
final class ScreenState: Sendable {
    let tracker = Mutex(AlternateScreenTracker())
}
