import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Trust rules for a registry a root reaper acts on. A forged registry must not make it kill
/// arbitrary pids, so a file is believed only when nobody but this user or root could have
/// written it. Every check runs on descriptors already open (fstat), never on paths that
/// could be swapped between the check and the read.
enum RegistryTrust {
    /// The directory holding the registry: not writable by group/others unless sticky, and
    /// owned by this user or root (otherwise its owner could swap the file).
    static func checkDirectory(_ st: stat, directory: String, path: String) throws(RegistryError) {
        let euid = geteuid()
        if st.st_uid != euid && st.st_uid != 0 {
            throw .untrusted(path: path, reason: "its directory \(directory) is owned by uid \(st.st_uid), neither uid \(euid) nor root")
        }
        if st.st_mode & 0o022 != 0 && st.st_mode & S_ISVTX == 0 {
            throw .untrusted(path: path, reason: "its directory \(directory) is writable by group or others (mode \(octal(st.st_mode))) and not sticky")
        }
    }

    /// The file itself: a regular file, owned by this user or root, not writable by group/others.
    static func checkFile(_ st: stat, path: String) throws(RegistryError) {
        if st.st_mode & S_IFMT != S_IFREG {
            throw .untrusted(path: path, reason: "not a regular file (mode \(octal(st.st_mode)))")
        }
        let euid = geteuid()
        if st.st_uid != euid && st.st_uid != 0 {
            throw .untrusted(path: path, reason: "owned by uid \(st.st_uid), neither uid \(euid) nor root")
        }
        if st.st_mode & 0o022 != 0 {
            throw .untrusted(path: path, reason: "writable by group or others (mode \(octal(st.st_mode)))")
        }
    }

    static func octal(_ mode: mode_t) -> String { "0" + String(mode & 0o7777, radix: 8) }
}

/// Bytes read from a registry file that passed the trust checks, and which file they came from.
struct TrustedRead: Equatable {
    var bytes: [UInt8]
    var stamp: FileStamp
}

/// Which file, and which version of it: device, inode, size and change times. A writer that
/// holds the lock compares stamps to learn whether anyone else wrote the file since it did.
struct FileStamp: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int64
    var changed: Int64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        changed = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }

    /// The stamp of `name` in `dirfd` (symlinks not followed); nil when it does not exist.
    static func of(_ name: String, in dirfd: FileDescriptor, path: String) throws(RegistryError) -> FileStamp? {
        var st = stat()
        if fstatat(dirfd.rawValue, name, &st, AT_SYMLINK_NOFOLLOW) == 0 { return FileStamp(st) }
        let error = Errno(rawValue: errno)
        if error == .noSuchFileOrDirectory { return nil }
        throw .io(path: path, "fstatat", error)
    }
}

/// What a parser makes of trusted bytes.
enum ParseOutcome<Value> {
    case parsed(Value)
    /// Not of the expected shape: move the file aside.
    case corrupt(String)
    /// Refuse without touching the file.
    case refuse(RegistryError)
}

extension RegistryStore {
    /// Runs `body` with the registry's directory open and trusted; nil when the directory is missing.
    func withTrustedDirectory<T>(_ body: (FileDescriptor) throws(RegistryError) -> T?) throws(RegistryError) -> T? {
        let (directory, _) = FileIO.split(path)
        let dirfd: FileDescriptor
        do {
            dirfd = try FileIO.openDirectory(directory)
        } catch {
            if error == .noSuchFileOrDirectory { return nil }
            throw .io(path: path, "open directory \(directory)", error)
        }
        defer { dirfd.closeQuietly() }
        let st: Stat
        do { st = try dirfd.stat() } catch { throw .io(path: path, "fstat directory \(directory)", error) }
        try RegistryTrust.checkDirectory(st.rawValue, directory: directory, path: path)
        return try body(dirfd)
    }

    /// Opens the file (no symlinks, no blocking on FIFOs), checks it on the open descriptor, reads it.
    func readTrusted(directory dirfd: FileDescriptor) throws(RegistryError) -> TrustedRead? {
        let name = FileIO.split(path).name
        let fd: FileDescriptor
        do {
            fd = try .openAt(FilePath(name), in: dirfd, .readOnly, options: [.noFollow, .nonBlocking, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
        } catch {
            if error == .noSuchFileOrDirectory { return nil }
            if error == .tooManySymbolicLinkLevels { throw .untrusted(path: path, reason: "is a symbolic link") }
            throw .io(path: path, "open", error)
        }
        defer { fd.closeQuietly() }
        let st: Stat
        do { st = try fd.stat() } catch { throw .io(path: path, "fstat", error) }
        try RegistryTrust.checkFile(st.rawValue, path: path)
        let bytes: [UInt8]
        do { bytes = try fd.readToEnd(sizeHint: max(Int(st.size) + 1, 4096)) } catch { throw .io(path: path, "read", error) }
        return TrustedRead(bytes: bytes, stamp: FileStamp(st.rawValue))
    }

    /// Reads and parses the file under the trust checks. A file that does not parse is moved
    /// aside only once two reads a moment apart saw the same bytes in the same file, so a
    /// writer caught mid-write (factory-sdk writes in place) is retried, not quarantined.
    /// With `movingCorruptAside` false nothing is renamed: `.corruptLeftInPlace` is thrown instead.
    func loadValidated<Value>(movingCorruptAside: Bool = true, _ parse: ([UInt8]) -> ParseOutcome<Value>) throws(RegistryError) -> Value? {
        try loadValidatedRead(movingCorruptAside: movingCorruptAside, parse)?.value
    }

    /// `loadValidated`, with the read the value was parsed from.
    func loadValidatedRead<Value>(movingCorruptAside: Bool = true, _ parse: ([UInt8]) -> ParseOutcome<Value>) throws(RegistryError) -> (value: Value, read: TrustedRead)? {
        try withTrustedDirectory { dirfd throws(RegistryError) -> (value: Value, read: TrustedRead)? in
            var previous: TrustedRead?
            for _ in 0..<8 {
                guard let current = try readTrusted(directory: dirfd) else { return nil }
                switch parse(current.bytes) {
                case .parsed(let value): return (value, current)
                case .refuse(let error): throw error
                case .corrupt(let reason):
                    if current == previous {
                        guard movingCorruptAside else { throw .corruptLeftInPlace(path: path, reason: reason) }
                        try quarantine(directory: dirfd, reason: reason)
                    }
                    previous = current
                    BlockingSleep.sleep(for: .milliseconds(50))
                }
            }
            throw .io(path: path, "read a stable copy (the file kept changing)", .resourceTemporarilyUnavailable)
        }
    }

    /// Renames the file to `<name>.corrupt-<UTC stamp>` in its directory (never truncated or
    /// deleted) and throws `.corrupt`.
    func quarantine(directory dirfd: FileDescriptor, reason: String) throws(RegistryError) -> Never {
        let name = FileIO.split(path).name
        let stamp = FileIO.utcStamp()
        for attempt in 1...100 {
            let target = name + ".corrupt-" + stamp + (attempt == 1 ? "" : "-\(attempt)")
            do {
                try dirfd.renameWithoutReplacing(FilePath(name), to: FilePath(target))
            } catch {
                if error == .fileExists { continue }
                throw .io(path: path, "move aside to \(target)", error)
            }
            try? dirfd.sync()
            throw .corrupt(path: path, movedTo: String(path.dropLast(name.count)) + target, reason: reason)
        }
        throw .io(path: path, "move aside (no free .corrupt name)", .fileExists)
    }
}
