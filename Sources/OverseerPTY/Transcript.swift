#if canImport(Glibc)
import Glibc
#endif

/// An append-only transcript file of an agent's output, capped in size: once the cap is
/// reached, writing stops and `truncated` says so (the ring buffer still holds the latest).
/// Used from one thread at a time (the agent's event loop).
public final class TranscriptWriter: @unchecked Sendable {
    public let path: String
    public let maxBytes: UInt64
    public private(set) var written: UInt64 = 0
    public private(set) var truncated = false
    private var fd: Int32

    /// Opens (creating, mode 0600) `path` for appending.
    public init(path: String, maxBytes: UInt64) throws(SpawnError) {
        self.path = path
        self.maxBytes = maxBytes
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if fd < 0 { throw .spawnFailed(path: path, errno: errno) }
        var st = stat()
        if fstat(fd, &st) == 0 { written = UInt64(st.st_size) }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard fd >= 0, !truncated, !bytes.isEmpty else { return }
        let room = maxBytes > written ? maxBytes - written : 0
        let count = Int(min(UInt64(bytes.count), room))
        var offset = 0
        while offset < count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                truncated = true
                return
            }
            offset += n
        }
        written += UInt64(count)
        if count < bytes.count { truncated = true }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
