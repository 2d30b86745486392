import ArgumentParser
import COverseerSys
import Foundation
import OverseerAPI
import OverseerClient
import OverseerSupervisor

/// Reads an agent's output from a cursor, in raw form.
struct OutputReader {
    let client: SupervisorClient
    let name: String

    struct Chunk {
        var bytes: [UInt8]
        var next: UInt64
        var dropped: UInt64
        var closed: Bool
    }

    func read(from cursor: UInt64, wait: Double) async throws -> Chunk {
        let path = "/v1/agents/\(SupervisorClient.segment(name))/output?format=raw&cursor=\(cursor)" + (wait > 0 ? "&wait=\(wait)" : "")
        let response = try await client.send(.get(path), timeout: .seconds(Int64(wait) + 30))
        return Chunk(
            bytes: response.body,
            next: UInt64(response.header("Overseer-Next-Cursor") ?? "") ?? cursor,
            dropped: UInt64(response.header("Overseer-Dropped") ?? "") ?? 0,
            closed: response.header("Overseer-Closed") == "true"
        )
    }

    func end() async throws -> UInt64 {
        try await client.get("/v1/agents/\(SupervisorClient.segment(name))", as: AgentInfo.self).outputBytes
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
