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
