#if canImport(Glibc)
import Glibc
#endif

/// The few file-system primitives the store needs, as plain syscalls with typed errors.
enum FileIO {
    /// Splits a path into its directory ("." when none) and last component.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// `mkdir -p` where every directory it creates gets mode 0700.
    static func makeDirectories(_ directory: String, for path: String) throws(RegistryError) {
        var st = stat()
        if stat(directory, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw .io(path: path, operation: "use \(directory) as directory", errno: ENOTDIR) }
            return
        }
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) == 0 {
                chmod(prefix, 0o700) // mkdir's mode is filtered by the umask
            } else if errno != EEXIST {
                throw .io(path: path, operation: "create directory \(prefix)", errno: errno)
            }
        }
    }

    /// Opens a directory for *at() calls and fsync.
    static func openDirectory(_ directory: String) -> Int32 {
        open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    static func readAll(_ fd: Int32, path: String) throws(RegistryError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "read", errno: errno)
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(RegistryError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            offset += count
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
    private static let renameNoReplaceFlag: UInt32 = 1 // RENAME_NOREPLACE
    /// glibc's renameat2 (≥ 2.28), which Swift's Glibc module does not import.
    private static let renameat2: RenameAt2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2")
        .map { unsafeBitCast($0, to: RenameAt2.self) }

    /// Renames within one directory, failing with EEXIST rather than replacing `new`.
    /// Returns 0 or an errno.
    static func renameNoReplace(directory fd: Int32, _ old: String, _ new: String) -> Int32 {
        if let renameat2 {
            if renameat2(fd, old, fd, new, renameNoReplaceFlag) == 0 { return 0 }
            if errno != EINVAL && errno != ENOSYS { return errno }
        }
        // Fallback (old kernel or file system without RENAME_NOREPLACE): check, then rename.
        var st = stat()
        if fstatat(fd, new, &st, AT_SYMLINK_NOFOLLOW) == 0 { return EEXIST }
        return renameat(fd, old, fd, new) == 0 ? 0 : errno
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

    static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
