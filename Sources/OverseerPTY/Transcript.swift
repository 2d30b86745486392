import OverseerSystem
import SystemPackage

/// An append-only transcript file of an agent's output, capped in size: once the cap is
/// reached, writing stops and `truncated` says so (the ring buffer still holds the latest).
/// Used from one thread at a time (the agent's event loop).
public final class TranscriptWriter: @unchecked Sendable {
    public let path: String
    public let maxBytes: UInt64
    public private(set) var written: UInt64 = 0
    public private(set) var truncated = false
    private var fd: FileDescriptor?

    /// Opens (creating, mode 0600) `path` for appending.
    public init(path: String, maxBytes: UInt64) throws(SpawnError) {
        self.path = path
        self.maxBytes = maxBytes
        let opened: FileDescriptor
        do {
            opened = try .openAt(FilePath(path), .writeOnly, options: [.create, .append], permissions: .ownerReadWrite)
        } catch {
            throw .spawnFailed(path: path, errno: error)
        }
        fd = opened
        if let status = try? opened.stat() { written = UInt64(max(status.size, 0)) }
    }

    deinit { fd?.closeQuietly() }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let fd, !truncated, !bytes.isEmpty else { return }
        let room = maxBytes > written ? maxBytes - written : 0
        let count = Int(min(UInt64(bytes.count), room))
        do {
            try fd.write(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<count]))
        } catch {
            truncated = true
            return
        }
        written += UInt64(count)
        if count < bytes.count { truncated = true }
    }

    public func close() {
        fd?.closeQuietly()
        fd = nil
    }
}
