import COverseerSys
import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// What to run, and where.
public struct SpawnSpec: Sendable {
    /// Program and arguments (never a shell string). `argv[0]` is resolved against the
    /// spec's own PATH when it has no `/`.
    public var argv: [String]
    /// Working directory (nil: the caller's).
    public var cwd: String?
    /// The complete environment of the new process.
    public var environment: [String: String]
    public var rows: UInt16
    public var cols: UInt16

    public init(argv: [String], cwd: String? = nil, environment: [String: String], rows: UInt16 = 24, cols: UInt16 = 80) {
        self.argv = argv
        self.cwd = cwd
        self.environment = environment
        self.rows = rows
        self.cols = cols
    }
}

/// A process started in its own session on a fresh PTY.
public struct SpawnedPTYProcess: Sendable {
    public var pid: Int32
    /// The PTY master (close-on-exec). The caller owns it.
    public var masterFD: Int32
    public var slavePath: String
    /// The resolved executable path.
    public var executable: String
}

/// Starts processes with `posix_spawn` (no Swift code runs between fork and exec).
public enum Spawner {
    /// Spawns `spec` in a new session whose controlling terminal is a new PTY's slave; the
    /// PTY's stdin/stdout/stderr all go to the slave. The master is returned non-blocking.
    /// With `cgroupFD` (an open cgroup v2 directory) the process is born in that cgroup.
    public static func spawnInPTY(_ spec: SpawnSpec, cgroupFD: Int32? = nil) throws(SpawnError) -> SpawnedPTYProcess {
        let executable = try validate(spec)
        var slaveBuffer = [CChar](repeating: 0, count: 128)
        let master = ov_pty_open(&slaveBuffer, slaveBuffer.count, spec.rows, spec.cols)
        if case .failure(let errno) = Syscall.shimResult(master) { throw .ptyFailed(errno: errno) }
        let slavePath = String(decoding: slaveBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let pid: Int32
        do {
            pid = try launch(executable: executable, spec: spec, ttyPath: slavePath, stdio: (-1, -1, -1), flags: Int32(OV_SPAWN_SETSID), cgroupFD: cgroupFD)
        } catch {
            close(master)
            throw error
        }
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
        return SpawnedPTYProcess(pid: pid, masterFD: master, slavePath: slavePath, executable: executable)
    }

    /// Spawns without a PTY, wiring the given fds (-1: inherit) to stdin/stdout/stderr.
    /// Used for helpers and tests. `newSession` puts the child in its own session; with
    /// `cgroupFD` it is born in that cgroup.
    public static func spawn(_ spec: SpawnSpec, stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, newSession: Bool = false, cgroupFD: Int32? = nil) throws(SpawnError) -> (pid: Int32, executable: String) {
        let executable = try validate(spec)
        let flags = newSession ? Int32(OV_SPAWN_SETSID) : 0
        let pid = try launch(executable: executable, spec: spec, ttyPath: nil, stdio: (stdin, stdout, stderr), flags: flags, cgroupFD: cgroupFD)
        return (pid, executable)
    }

    /// Checks argv, environment and cwd, and resolves the executable, so that failures name their cause.
    static func validate(_ spec: SpawnSpec) throws(SpawnError) -> String {
        guard let program = spec.argv.first else { throw .emptyArgv }
        for (index, argument) in spec.argv.enumerated() where argument.utf8.contains(0) {
            throw .invalidArgument(index: index, reason: "contains a NUL byte")
        }
        if program.isEmpty { throw .invalidArgument(index: 0, reason: "is empty") }
        for (name, value) in spec.environment {
            if name.isEmpty || name.contains("=") || name.utf8.contains(0) {
                throw .invalidEnvironment(name: name, reason: "is not a valid variable name")
            }
            if value.utf8.contains(0) { throw .invalidEnvironment(name: name, reason: "has a NUL byte in its value") }
        }
        if let cwd = spec.cwd {
            let status: Stat
            do { status = try FilePath(cwd).stat() } catch { throw .badWorkingDirectory(path: cwd, reason: error.description) }
            if status.type != .directory { throw .badWorkingDirectory(path: cwd, reason: "not a directory") }
            if case .failure(let errno) = Syscall.retryingOnInterrupt({ access(cwd, X_OK) }) {
                throw .badWorkingDirectory(path: cwd, reason: errno.description)
            }
        }
        return try resolveExecutable(program, searchPath: spec.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", cwd: spec.cwd)
    }

    /// Resolves a program name the way execvp would, but against the child's PATH and cwd.
    public static func resolveExecutable(_ program: String, searchPath: String, cwd: String?) throws(SpawnError) -> String {
        func isExecutableFile(_ path: String) -> Bool {
            var st = stat()
            return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
        }
        if program.contains("/") {
            let full = program.hasPrefix("/") || cwd == nil ? program : "\(cwd!)/\(program)"
            if isExecutableFile(full) { return program }
            var st = stat()
            if stat(full, &st) != 0 { throw .noSuchFile(path: full) }
            throw .notExecutable(path: full)
        }
        var foundNonExecutable: String?
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = directory.isEmpty ? "." : String(directory)
            let base = dir.hasPrefix("/") || cwd == nil ? dir : "\(cwd!)/\(dir)"
            let candidate = "\(base)/\(program)"
            if isExecutableFile(candidate) { return candidate }
            if foundNonExecutable == nil, access(candidate, F_OK) == 0 { foundNonExecutable = candidate }
        }
        if let foundNonExecutable { throw .notExecutable(path: foundNonExecutable) }
        throw .executableNotFound(name: program, searchPath: searchPath)
    }

    static func launch(executable: String, spec: SpawnSpec, ttyPath: String?, stdio: (Int32, Int32, Int32), flags: Int32, cgroupFD: Int32?) throws(SpawnError) -> Int32 {
        let argv = CStringArray(spec.argv)
        let envp = CStringArray(spec.environment.map { "\($0.key)=\($0.value)" }.sorted())
        defer {
            argv.free()
            envp.free()
        }
        var pid: Int32 = 0
        let rc: Int32 = executable.withCString { path in
            withOptionalCString(spec.cwd) { cwd in
                withOptionalCString(ttyPath) { tty in
                    if let cgroupFD {
                        ov_spawn_into_cgroup(path, argv.pointers, envp.pointers, cwd, tty, stdio.0, stdio.1, stdio.2, flags, cgroupFD, &pid)
                    } else {
                        ov_spawn(path, argv.pointers, envp.pointers, cwd, tty, stdio.0, stdio.1, stdio.2, flags, &pid)
                    }
                }
            }
        }
        if case .failure(let errno) = Syscall.shimResult(rc) { throw .spawnFailed(path: executable, errno: errno) }
        return pid
    }
}

/// A NULL-terminated `char *[]` built from Swift strings; call `free()` when done.
struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    func free() {
        for index in 0..<count { Glibc.free(pointers[index]) }
        pointers.deallocate()
    }
}

func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
