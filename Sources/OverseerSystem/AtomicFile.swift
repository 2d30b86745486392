import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Replacing a file so that readers, and a crash at any moment, see either the old content
/// or the new one in full, never a mix or an empty file.
public enum AtomicFile {
    /// Writes `bytes` to a new `.<name>.tmp-XXXXXXXX` in the same directory (created with
    /// O_EXCL, never following a symlink), sets `permissions`, fsyncs it, renames it over
    /// `path`, then fsyncs the directory so the rename itself is durable. On failure the
    /// temporary file is removed and the previous file is untouched. The directory must exist.
    /// Errors name `path` and the step that failed.
    public static func replace(_ path: FilePath, with bytes: [UInt8], permissions: FilePermissions) throws(SystemCallError) {
        let target = path.string
        guard let name = path.lastComponent else {
            throw SystemCallError("replace (the path has no file name)", path: target, errno: .invalidArgument)
        }
        var directory = path.removingLastComponent()
        if directory.isEmpty { directory = "." }
        let directoryFD: FileDescriptor
        do { directoryFD = try .openAt(directory, .readOnly, options: .directory) } catch {
            throw SystemCallError("open directory \(directory)", path: target, errno: error)
        }
        defer { directoryFD.closeQuietly() }

        var temporary = FilePath.Component(".\(name).tmp-0")!
        var created: Result<FileDescriptor, Errno> = .failure(.fileExists)
        for _ in 0..<16 {
            temporary = FilePath.Component(".\(name).tmp-" + String(UInt32.random(in: 0...UInt32.max), radix: 16))!
            created = Result { () throws(Errno) in
                try FileDescriptor.openAt(FilePath(root: nil, [temporary]), in: directoryFD, .writeOnly,
                                          options: [.create, .exclusiveCreate, .noFollow], permissions: permissions)
            }
            if case .failure(.fileExists) = created { continue }
            break
        }
        let fd: FileDescriptor
        switch created {
        case .success(let opened): fd = opened
        case .failure(let errno): throw SystemCallError("create temporary file", path: target, errno: errno)
        }
        let temporaryPath = FilePath(root: nil, [temporary])
        do throws(SystemCallError) {
            var open = true
            defer { if open { fd.closeQuietly() } }
            func step(_ operation: String, _ body: () throws(Errno) -> Void) throws(SystemCallError) {
                do { try body() } catch { throw SystemCallError(operation, path: target, errno: error) }
            }
            try step("fchmod temporary file") { () throws(Errno) in try fd.setPermissions(permissions) }
            try step("write temporary file") { () throws(Errno) in try fd.write(contentsOf: bytes) }
            try step("fsync temporary file") { () throws(Errno) in try fd.sync() }
            open = false
            try step("close temporary file") { () throws(Errno) in try fd.closeReportingErrors() }
            try step("rename temporary file over it") { () throws(Errno) in
                try directoryFD.rename(temporaryPath, to: FilePath(root: nil, [name]))
            }
        } catch {
            try? directoryFD.unlink(temporaryPath)
            throw error
        }
        do { try directoryFD.sync() } catch { throw SystemCallError("fsync directory \(directory)", path: target, errno: error) }
    }
}

extension FileDescriptor {
    /// close(2), reporting a failure (a deferred write error on some file systems). Never
    /// retried: on Linux the descriptor is released even when close fails.
    public func closeReportingErrors() throws(Errno) {
        if Glibc.close(rawValue) != 0 { throw Errno(rawValue: Glibc.errno) }
    }
}
