import OverseerKill
import OverseerPTY

extension AgentManager {
    /// Writes raw bytes to an agent's terminal input.
    public func write(name: String, bytes: [UInt8]) async throws(AgentError) {
        guard bytes.count <= settings.maxInputBytes else { throw .inputTooLarge(size: bytes.count, limit: settings.maxInputBytes) }
        let record = try record(name)
        guard let terminal = record.terminal, terminal.isOpen else { throw .terminalClosed(name) }
        do {
            try await terminal.write(bytes)
        } catch {
            throw .terminalClosed(name)
        }
    }

    /// Output from a byte cursor (see `OutputRing.read`).
    public func output(name: String, cursor: UInt64, limit: Int) throws(AgentError) -> OutputChunk {
        try record(name).ring.read(from: cursor, limit: limit)
    }

    /// The last `count` bytes of output.
    public func tail(name: String, count: Int) throws(AgentError) -> OutputChunk {
        try record(name).ring.tail(count)
    }

    /// Waits (long poll) until output past `cursor` exists, the PTY closes, or the timeout passes.
    public func waitForOutput(name: String, after cursor: UInt64, timeout: Duration) async throws(AgentError) {
        let ring = try record(name).ring
        await ring.waitForData(after: cursor, timeout: timeout)
    }

    public func resize(name: String, rows: Int, cols: Int) throws(AgentError) {
        guard (1...1000).contains(rows), (1...1000).contains(cols) else { throw .invalidSize(rows: rows, cols: cols) }
        let record = try record(name)
        guard let terminal = record.terminal, terminal.isOpen else { throw .terminalClosed(name) }
        do {
            try terminal.resize(rows: UInt16(rows), cols: UInt16(cols))
        } catch {
            throw .terminalClosed(name)
        }
        mutate { state in
            state.agents[name]?.info.rows = UInt16(rows)
            state.agents[name]?.info.cols = UInt16(cols)
        }
    }
}
