import ArgumentParser
import COverseerSys
import Dispatch
import Foundation
import OverseerClient
import OverseerWire

/// Reads an agent's output from a cursor, in raw form.
struct OutputReader {
    let client: SupervisorClient
    let name: String

    func read(from cursor: UInt64, wait: Double) async throws -> RawOutput {
        try await client.output(name, from: cursor, wait: wait)
    }

    func end() async throws -> UInt64 {
        try await client.agent(name).outputBytes
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// `overseer logs NAME [--follow] [--tail BYTES]`
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print an agent's output (the ring buffer: the latest output_buffer_bytes).")

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String
    @Flag(name: .shortAndLong, help: "Keep printing new output until the agent's terminal closes.") var follow = false
    @Option(help: "Start this many bytes before the end.") var tail: UInt64?

    func run() async throws {
        try await reportingErrors {
            let reader = OutputReader(client: try options.client(), name: name)
            var cursor: UInt64 = 0
            if let tail {
                let end = try await reader.end()
                cursor = end > tail ? end - tail : 0
            }
            while true {
                let chunk = try await reader.read(from: cursor, wait: follow ? 25 : 0)
                if chunk.dropped > 0 && cursor > 0 {
                    FileHandle.standardError.write(Data("[overseer: \(chunk.dropped) bytes of output were dropped from the ring]\n".utf8))
                }
                writeAll(1, chunk.bytes)
                cursor = chunk.next
                if chunk.bytes.isEmpty && (!follow || chunk.closed) { break }
            }
        }
    }
}

/// `overseer attach NAME`: a raw terminal session with the agent. Ctrl-] detaches.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach this terminal to an agent (raw mode, keystrokes and window size forwarded).",
        discussion: "Detach with Ctrl-] (the byte 0x1d); the agent keeps running."
    )

    static let detachByte: UInt8 = 0x1D

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            let agent = name
            let reader = OutputReader(client: client, name: agent)
            let start = try await reader.end()
            let isTTY = isatty(0) == 1
            var saved = [UInt8](repeating: 0, count: ov_termios_size())
            if isTTY {
                FileHandle.standardError.write(Data("[attached to \(name); detach with Ctrl-]]\r\n".utf8))
                _ = ov_tty_make_raw(0, &saved)
                await Self.forwardWindowSize(client: client, name: name)
            }
            defer { if isTTY { _ = ov_tty_restore(0, &saved) } }
            let winch = Self.windowChanges(client: client, name: name, enabled: isTTY)
            defer { winch?.cancel() }

            let outcome = await withTaskGroup(of: String.self) { group in
                group.addTask {
                    var cursor = start >= 2048 ? start - 2048 : 0
                    while !Task.isCancelled {
                        guard let chunk = try? await reader.read(from: cursor, wait: 25) else { return "lost the supervisor" }
                        writeAll(1, chunk.bytes)
                        cursor = chunk.next
                        if chunk.closed && chunk.bytes.isEmpty { return "the agent's terminal closed" }
                    }
                    return "detached"
                }
                group.addTask {
                    for await bytes in Self.standardInput() {
                        if let index = bytes.firstIndex(of: Self.detachByte) {
                            if index > 0 { _ = try? await client.withFreshKey().input(agent, InputRequest(base64: Data(bytes[..<index]).base64EncodedString())) }
                            return "detached"
                        }
                        do {
                            _ = try await client.withFreshKey().input(agent, InputRequest(base64: Data(bytes).base64EncodedString()))
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
            if isTTY { _ = ov_tty_restore(0, &saved) }
            FileHandle.standardError.write(Data("\r\n[\(outcome)]\r\n".utf8))
            // The stdin reader thread may still block in read(2); exit without waiting for it.
            Foundation.exit(0)
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

    static func forwardWindowSize(client: SupervisorClient, name: String) async {
        var rows: UInt16 = 0
        var cols: UInt16 = 0
        guard ov_pty_get_size(0, &rows, &cols) == 0, rows > 0, cols > 0 else { return }
        _ = try? await client.withFreshKey().resize(name, rows: Int(rows), cols: Int(cols))
    }

    static func windowChanges(client: SupervisorClient, name: String, enabled: Bool) -> (any DispatchSourceSignal)? {
        guard enabled else { return nil }
        signal(SIGWINCH, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGWINCH)
        source.setEventHandler { Task { await forwardWindowSize(client: client, name: name) } }
        source.resume()
        return source
    }
}
