import ArgumentParser
import COverseerSys
import Dispatch
import Foundation
import OverseerClient

/// `overseer attach NAME`: a raw terminal session with the agent over one WebSocket
/// (`/v1/agents/NAME/attach`). Keystrokes go out as they are read, output comes back as it is
/// produced, window-size changes follow SIGWINCH. Ctrl-] detaches; the agent keeps running.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach this terminal to an agent (raw mode, keystrokes and window size forwarded).",
        discussion: "Detach with Ctrl-] (the byte 0x1d); the agent keeps running."
    )

    static let detachByte: UInt8 = 0x1D
    /// Recent output shown first, so the screen is not blank until the agent prints again.
    static let replayBytes: UInt64 = 2048

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            // Looked up first: a missing agent gets its clear error (the upgrade could only refuse).
            let end = try await OutputReader(client: client, name: name).end()
            let start = end >= Self.replayBytes ? end - Self.replayBytes : 0
            let isTTY = isatty(0) == 1
            var saved = [UInt8](repeating: 0, count: ov_termios_size())
            if isTTY {
                // Raw first: whatever is typed once the banner shows goes to the agent untouched.
                _ = ov_tty_make_raw(0, &saved)
                FileHandle.standardError.write(Data("[attached to \(name); detach with Ctrl-]]\r\n".utf8))
            }
            defer { if isTTY { _ = ov_tty_restore(0, &saved) } }
            let path = "/v1/agents/\(SupervisorClient.segment(name))/attach?cursor=\(start)"
            let outcome: String
            do {
                outcome = try await client.http.withWebSocket(path) { messages, writer in
                    try await Self.session(messages: messages, writer: writer, isTTY: isTTY)
                }
            } catch {
                outcome = "lost the supervisor: \(error)"
            }
            if isTTY { _ = ov_tty_restore(0, &saved) }
            FileHandle.standardError.write(Data("\r\n[\(outcome)]\r\n".utf8))
            // The stdin reader thread may still block in read(2); exit without waiting for it.
            Foundation.exit(0)
        }
    }

    /// Copies output to stdout and stdin to the agent until either side ends; returns why.
    static func session(messages: WebSocketMessages, writer: WebSocketWriter, isTTY: Bool) async throws -> String {
        let winch = windowChanges(writer, enabled: isTTY)
        defer { winch?.cancel() }
        if isTTY { await sendWindowSize(writer) }
        return await withTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    for try await message in messages {
                        switch message {
                        case .binary(let bytes): writeAll(1, bytes)
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
