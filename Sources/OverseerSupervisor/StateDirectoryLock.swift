import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Why `overseer serve` may not use a state directory.
public enum StateDirectoryLockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another supervisor holds the directory's lock (`pid` as it wrote it in the lock file).
    case held(directory: String, lockPath: String, pid: Int32?)
    /// The directory or its lock file could not be prepared.
    case io(SystemCallError)

    public var description: String {
        switch self {
        case .held(let directory, let lockPath, let pid):
            "state directory \(directory) is in use by another supervisor (pid \(pid.map(String.init) ?? "unknown")): "
                + "\(lockPath) is locked; stop that one first, or give this one its own --state-dir"
        case .io(let failure):
            "cannot lock the state directory: \(failure)"
        }
    }
}

/// One supervisor per state directory: an exclusive `flock` on `<state_dir>/supervisor.lock`,
/// taken before anything else in the directory is touched and held (close-on-exec, so agents
/// never inherit it) for the life of the process. The holder writes its pid into the file so
/// that a second instance can name it.
public final class StateDirectoryLock: Sendable {
    public static let fileName = "supervisor.lock"

    public let directory: String
    public let path: String
    private let descriptor: FileDescriptor

    private init(directory: String, path: String, descriptor: FileDescriptor) {
        self.directory = directory
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        descriptor.closeQuietly()
    }

    /// Creates the directory (0700) if needed and takes its lock without waiting.
    public static func acquire(stateDirectory directory: String) throws(StateDirectoryLockError) -> StateDirectoryLock {
        let path = directory + "/" + fileName
        do {
            try FilePath(directory).createDirectories(permissions: .ownerReadWriteExecute)
        } catch {
            throw .io(error)
        }
        let fd: FileDescriptor
        do {
            fd = try .openAt(FilePath(path), .readWrite, options: .create, permissions: .ownerReadWrite)
        } catch {
            throw .io(SystemCallError("open", path: path, errno: error))
        }
        let locked: Bool
        do {
            locked = try fd.tryLockExclusively()
        } catch {
            fd.closeQuietly()
            throw .io(SystemCallError("flock", path: path, errno: error))
        }
        guard locked else {
            let pid = holderPID(fd)
            fd.closeQuietly()
            throw .held(directory: directory, lockPath: path, pid: pid)
        }
        let pidLine = Array("\(getpid())\n".utf8)
        do throws(SystemCallError) {
            _ = try Syscall.check("truncate", path: path) { ftruncate(fd.rawValue, 0) }
            let written = try Syscall.check("write", path: path) { pidLine.withUnsafeBytes { pwrite(fd.rawValue, $0.baseAddress!, $0.count, 0) } }
            if written != pidLine.count { throw SystemCallError("write", path: path, errno: .noSpace) }
        } catch {
            fd.closeQuietly()
            throw .io(error)
        }
        return StateDirectoryLock(directory: directory, path: path, descriptor: fd)
    }

    /// The pid the holder wrote; it writes right after locking, so an empty file is read again
    /// for up to a second.
    private static func holderPID(_ fd: FileDescriptor) -> Int32? {
        let deadline = ContinuousClock.now + .seconds(1)
        while true {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { raw in pread(fd.rawValue, raw.baseAddress!, raw.count, 0) }
            if count > 0 {
                let text = String(decoding: buffer.prefix(count), as: UTF8.self).split(whereSeparator: \.isWhitespace).first
                if let pid = text.flatMap({ Int32($0) }), pid > 0 { return pid }
            }
            if ContinuousClock.now >= deadline { return nil }
            usleep(20_000)
        }
    }
}
