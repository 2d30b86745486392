#if canImport(Glibc)
import Glibc
#endif

/// Errors from reading /proc. A process that vanished is `.gone`, which callers treat as normal.
public enum ProcError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The process (or the file) no longer exists.
    case gone(path: String)
    /// Another error while opening or reading.
    case io(path: String, errno: Int32)
    /// The contents did not have the expected shape.
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .gone(let path): "\(path): no such process"
        case .io(let path, let errno): "\(path): \(String(cString: strerror(errno)))"
        case .malformed(let path, let reason): "\(path): malformed: \(reason)"
        }
    }
}

/// Small, allocation-conscious readers for /proc files (read with plain syscalls: they are
/// generated on read, so their size is unknown and stat reports 0).
public enum ProcFile {
    /// Reads a whole file into bytes. When `ownerUID` is non-nil, also stores the file owner's uid
    /// (for /proc/PID/* that is the process's effective uid).
    public static func readBytes(_ path: String, ownerUID: UnsafeMutablePointer<UInt32>? = nil) throws(ProcError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            if err == ENOENT || err == ESRCH { throw .gone(path: path) }
            throw .io(path: path, errno: err)
        }
        defer { close(fd) }
        if let ownerUID {
            var st = stat()
            if fstat(fd, &st) == 0 { ownerUID.pointee = st.st_uid }
        }
        var result: [UInt8] = []
        var chunk = 4096
        while true {
            let oldCount = result.count
            result.reserveCapacity(oldCount + chunk)
            var readError: Int32 = 0
            var readCount = 0
            result.append(contentsOf: repeatElement(0, count: chunk))
            result.withUnsafeMutableBytes { buffer in
                let n = read(fd, buffer.baseAddress! + oldCount, chunk)
                if n < 0 { readError = errno } else { readCount = n }
            }
            result.removeLast(chunk - readCount)
            if readError != 0 {
                if readError == EINTR { continue }
                if readError == ESRCH { throw .gone(path: path) }
                throw .io(path: path, errno: readError)
            }
            if readCount == 0 { return result }
            chunk = min(chunk * 2, 1 << 20)
        }
    }

    /// Reads a whole file as UTF-8 (invalid bytes are repaired).
    public static func readString(_ path: String) throws(ProcError) -> String {
        let bytes = try readBytes(path)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Splits NUL-separated content (cmdline, environ) into strings, dropping the trailing empty one.
    public static func splitNUL(_ bytes: [UInt8]) -> [String] {
        var parts: [String] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0 {
            parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            start = index + 1
        }
        if start < bytes.count { parts.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return parts
    }

    /// Whether NUL-separated content contains exactly `entry` as one of its items.
    public static func containsEntry(_ bytes: [UInt8], _ entry: [UInt8]) -> Bool {
        guard !entry.isEmpty, bytes.count >= entry.count else { return false }
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0 { end += 1 }
            if end - start == entry.count {
                var equal = true
                var i = 0
                while i < entry.count {
                    if bytes[start + i] != entry[i] { equal = false; break }
                    i += 1
                }
                if equal { return true }
            }
            start = end + 1
        }
        return false
    }
}
