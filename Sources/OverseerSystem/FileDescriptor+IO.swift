import COverseerSys
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The descriptor operations Overseer needs beyond swift-system's: typed errors (`Errno`),
/// `*at()` calls relative to an open directory, and retries on EINTR (through `Syscall`).
extension FileDescriptor {
    /// The working directory, for `*at()` calls on plain paths (AT_FDCWD).
    public static var workingDirectory: FileDescriptor { FileDescriptor(rawValue: AT_FDCWD) }

    /// openat(2): `path` relative to `directory` (absolute paths ignore it). Close-on-exec is
    /// always set. `permissions` is required with `.create`.
    public static func openAt(
        _ path: FilePath, in directory: FileDescriptor = .workingDirectory, _ mode: AccessMode,
        options: OpenOptions = [], permissions: FilePermissions? = nil
    ) throws(Errno) -> FileDescriptor {
        let result = path.withCString { name in
            Result { () throws(Errno) in try openAt(name, in: directory, mode, options: options, permissions: permissions) }
        }
        return try result.get()
    }

    /// openAt with a C string, for hot paths that build many paths (/proc scans) and would
    /// otherwise pay for a `FilePath` per file.
    public static func openAt(
        _ path: UnsafePointer<CChar>, in directory: FileDescriptor = .workingDirectory, _ mode: AccessMode,
        options: OpenOptions = [], permissions: FilePermissions? = nil
    ) throws(Errno) -> FileDescriptor {
        let flags = mode.rawValue | options.rawValue | O_CLOEXEC
        let fd = try Syscall.retryingOnInterrupt { openat(directory.rawValue, path, flags, permissions?.rawValue ?? 0) }.get()
        return FileDescriptor(rawValue: fd)
    }

    /// Reads until end of file. Grows its buffer from `sizeHint`, so it suits /proc files
    /// (generated on read; stat reports size 0) as well as regular files.
    /// Each chunk is read straight into uninitialized array storage: a /proc scan reads
    /// thousands of small files, and zero-filling a 4 KiB buffer element by element per file
    /// (what `repeatElement` costs in an unoptimized build) was most of a kill's CPU time.
    public func readToEnd(sizeHint: Int = 4096) throws(Errno) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = max(sizeHint, 64)
        while true {
            var failure: Errno?
            let piece = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, initialized in
                switch Syscall.retryingOnInterrupt({ Glibc.read(rawValue, buffer.baseAddress!, chunk) }) {
                case .success(let count): initialized = count
                case .failure(let errno): initialized = 0; failure = errno
                }
            }
            if let failure { throw failure }
            if piece.isEmpty { return result }
            if result.isEmpty { result = piece } else { result.append(contentsOf: piece) }
            chunk = min(chunk * 2, 1 << 20)
        }
    }

    /// Writes every byte (looping over short writes).
    public func write(contentsOf bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try Syscall.retryingOnInterrupt {
                Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset)
            }.get()
        }
    }

    /// Writes every byte (looping over short writes).
    public func write(contentsOf bytes: [UInt8]) throws(Errno) {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try write(contentsOf: buffer) } }
        try result.get()
    }

    /// ftruncate(2): cuts the file to `length` bytes.
    public func truncate(to length: Int64) throws(Errno) {
        _ = try Syscall.retryingOnInterrupt { ftruncate(rawValue, off_t(length)) }.get()
    }

    /// fdatasync(2): the file's data (and the size, when it changed) reach the disk.
    public func syncData() throws(Errno) {
        _ = try Syscall.retryingOnInterrupt { fdatasync(rawValue) }.get()
    }

    /// fsync(2): the file's data and metadata reach the disk (for a directory: its entries).
    public func sync() throws(Errno) {
        _ = try Syscall.retryingOnInterrupt { fsync(rawValue) }.get()
    }

    /// fchmod(2).
    public func setPermissions(_ permissions: FilePermissions) throws(Errno) {
        _ = try Syscall.retryingOnInterrupt { fchmod(rawValue, permissions.rawValue) }.get()
    }

    /// flock(2) LOCK_EX, waiting as long as it takes.
    public func lockExclusively() throws(Errno) {
        _ = try Syscall.retryingOnInterrupt { flock(rawValue, LOCK_EX) }.get()
    }

    /// flock(2) LOCK_EX|LOCK_NB: false when another open file holds the lock.
    public func tryLockExclusively() throws(Errno) -> Bool {
        switch Syscall.retryingOnInterrupt({ flock(rawValue, LOCK_EX | LOCK_NB) }) {
        case .success: return true
        case .failure(let errno) where errno == .wouldBlock: return false
        case .failure(let errno): throw errno
        }
    }

    /// flock(2) LOCK_UN.
    public func unlock() {
        _ = Syscall.retryingOnInterrupt { flock(rawValue, LOCK_UN) }
    }

    /// Closes, ignoring errors (for cleanup paths where nothing can be done about them).
    public func closeQuietly() {
        _ = Glibc.close(rawValue) // never retried: on Linux the descriptor is gone even on EINTR
    }
}

/// Operations on entries of an open directory (the `*at()` calls), so that a path checked
/// once is the path acted on.
extension FileDescriptor {
    /// renameat(2) within this directory, replacing `new` if it exists.
    public func rename(_ old: FilePath, to new: FilePath) throws(Errno) {
        let result = old.withCString { from in
            new.withCString { to in Syscall.retryingOnInterrupt { renameat(rawValue, from, rawValue, to) } }
        }
        _ = try result.get()
    }

    /// Renames within this directory, failing with EEXIST rather than replacing `new`:
    /// renameat2(RENAME_NOREPLACE), or on kernels and file systems without it a check then
    /// a rename.
    public func renameWithoutReplacing(_ old: FilePath, to new: FilePath) throws(Errno) {
        let result = old.withCString { from in
            new.withCString { to in Syscall.shimResult(ov_renameat2(rawValue, from, rawValue, to, UInt32(OV_RENAME_NOREPLACE))) }
        }
        switch result {
        case .success: return
        case .failure(let errno) where errno != .invalidArgument && errno != .noFunction: throw errno
        case .failure: break
        }
        if (try? new.stat(relativeTo: self, flags: .symlinkNoFollow)) != nil { throw .fileExists }
        try rename(old, to: new)
    }

    /// unlinkat(2) of a file in this directory.
    public func unlink(_ name: FilePath) throws(Errno) {
        _ = try name.withCString { entry in Syscall.retryingOnInterrupt { unlinkat(rawValue, entry, 0) } }.get()
    }
}
