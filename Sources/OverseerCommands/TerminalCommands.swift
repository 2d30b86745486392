import ArgumentParser
import COverseerSys
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

/// `overseer logs NAME [--follow] [--tail BYTES] [--plain]`
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print an agent's output (the ring buffer: the latest output_buffer_bytes).")

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String
    @Flag(name: .shortAndLong, help: "Keep printing new output until the agent's terminal closes.") var follow = false
    @Option(help: "Start this many bytes before the end.") var tail: UInt64?
    @Flag(help: "Print the output rendered at the agent's terminal size: the lines a person would have seen, escape sequences rendered away.") var plain = false

    func validate() throws {
        if plain && follow {
            throw ValidationError("--plain cannot follow: a rendered line is final only once it scrolls off the screen, so new output cannot be printed line by line as it comes. Use --follow for the raw stream, or `overseer screen` for what is shown now.")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            let reader = OutputReader(client: client, name: name)
            var cursor: UInt64 = 0
            if let tail {
                let end = try await reader.end()
                cursor = end > tail ? end - tail : 0
            }
            if plain {
                let rendered = try await client.plainOutput(name, from: cursor)
                if rendered.dropped > 0 && cursor > 0 {
                    FileHandle.standardError.write(Data("[overseer: \(rendered.dropped) bytes of output were dropped from the ring]\n".utf8))
                }
                return writeAll(1, rendered.bytes)
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

/// `overseer screen NAME [--scrollback N] [--json]`
struct ScreenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen",
        abstract: "Print what an agent's terminal shows now (rendered by the supervisor, like tmux capture-pane -p).",
        discussion: "--json adds the cursor, the title, whether the program is on the alternate screen, and the modes it set."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String
    @Option(help: "Also print up to this many lines that scrolled off the top, above the screen.") var scrollback: Int?

    func run() async throws {
        try await reportingErrors {
            let client = try options.client()
            if options.json {
                try printJSON(try await client.screen(name, scrollback: scrollback))
            } else {
                writeAll(1, Array(try await client.screenText(name, scrollback: scrollback).utf8))
            }
        }
    }
}
