import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Path helpers for the registry, whose errors name the registry file whatever step failed.
enum FileIO {
    /// Splits a path into its directory ("." when none) and last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// `mkdir -p` where every directory it creates gets mode 0700.
    static func makeDirectories(_ directory: String, for path: String) throws(RegistryError) {
        do {
            try FilePath(directory).createDirectories(permissions: .ownerReadWriteExecute)
        } catch {
            throw .io(SystemCallError("\(error.operation) \(error.path ?? directory)", path: path, errno: error.errno))
        }
    }

    /// Opens a directory for *at() calls and fsync.
    static func openDirectory(_ directory: String) throws(Errno) -> FileDescriptor {
        try FileDescriptor.openAt(FilePath(directory), .readOnly, options: .directory)
    }

    /// UTC time as `20261123T193000Z`.
    static func utcStamp(_ seconds: time_t = time(nil)) -> String {
        var t = seconds
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
    }
}

extension RegistryError {
    /// A failed system call on the registry at `path`.
    static func io(path: String, _ operation: String, _ errno: Errno) -> RegistryError {
        .io(SystemCallError(operation, path: path, errno: errno))
    }
}
