import OverseerSystem
import SystemPackage

/// Errors from reading /proc. A process that vanished is `.gone`, which callers treat as normal.
public enum ProcError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The process (or the file) no longer exists.
    case gone(path: String)
    /// Another error while opening or reading.
    case io(SystemCallError)
    /// The contents did not have the expected shape.
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .gone(let path): "\(path): no such process"
        case .io(let failure): failure.description
        case .malformed(let path, let reason): "\(path): malformed: \(reason)"
        }
    }
}

/// Small, allocation-conscious readers for /proc files (generated on read: their size is
/// unknown and stat reports 0, so they are read until end of file).
public enum ProcFile {
    /// Reads a whole file into bytes. When `ownerUID` is non-nil, also stores the file owner's uid
    /// (for /proc/PID/* that is the process's effective uid).
    public static func readBytes(_ path: String, ownerUID: UnsafeMutablePointer<UInt32>? = nil) throws(ProcError) -> [UInt8] {
        func failure(_ operation: String, _ errno: Errno) -> ProcError {
            errno == .noSuchFileOrDirectory || errno == .noSuchProcess ? .gone(path: path) : .io(SystemCallError(operation, path: path, errno: errno))
        }
        let fd: FileDescriptor
        let opened = path.withCString { name in Result { () throws(Errno) in try FileDescriptor.openAt(name, .readOnly) } }
        do { fd = try opened.get() } catch { throw failure("open", error) }
        defer { fd.closeQuietly() }
        if let ownerUID, let status = try? fd.stat() { ownerUID.pointee = status.userID.rawValue }
        do { return try fd.readToEnd() } catch { throw failure("read", error) }
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
