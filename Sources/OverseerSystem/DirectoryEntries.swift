import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Listing a directory with opendir/readdir, without allocating per entry.
public enum DirectoryEntries {
    /// The kind of an entry, as readdir's d_type reports it.
    public enum Kind: Sendable, Equatable {
        case directory, regular, other
    }

    /// Calls `body` with each entry's name (bytes, no NUL) and kind, "." and ".." excluded.
    public static func forEach(in directory: FilePath, _ body: (UnsafeRawBufferPointer, Kind) -> Void) throws(SystemCallError) {
        guard let stream = directory.withCString({ opendir($0) }) else {
            throw SystemCallError("open directory", path: directory.string, errno: Errno(rawValue: Glibc.errno))
        }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let kind: Kind = switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): .directory
            case Int32(DT_REG): .regular
            default: .other
            }
            withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let length = raw.firstIndex(of: 0) ?? raw.count
                let name = UnsafeRawBufferPointer(rebasing: raw[..<length])
                if name.count == 1 && name[0] == UInt8(ascii: ".") { return }
                if name.count == 2 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: ".") { return }
                body(name, kind)
            }
        }
    }

    /// The names of the entries (UTF-8, invalid bytes repaired), "." and ".." excluded.
    public static func names(in directory: FilePath, kind: Kind? = nil) throws(SystemCallError) -> [String] {
        var result: [String] = []
        try forEach(in: directory) { name, entryKind in
            if kind == nil || kind == entryKind { result.append(String(decoding: name, as: UTF8.self)) }
        }
        return result
    }
}
