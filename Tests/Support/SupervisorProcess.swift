import COverseerSys
import Foundation
import OverseerCgroup
import OverseerClient
import OverseerSystem
import OverseerProcess
#if canImport(Glibc)
import Glibc
#endif

/// A real `overseer serve` process started by a test, with its own socket and state
/// directory. `stop()` sends SIGTERM and reaps it; `removeFiles()` deletes its directory.
public final class SupervisorProcess: @unchecked Sendable {
    public let directory: String
    public let socketPath: String
    public let stateDirectory: String
    public let logPath: String
    public private(set) var pid: Int32 = 0
    public let client: UnixHTTPClient
    /// A command line the binary is started through (e.g. `["/usr/bin/prlimit",
    /// "--nofile=1024:1024", "--"]`); it must exec the binary so `pid` stays the supervisor's.
    public let wrapper: [String]

    /// The `overseer` binary next to the test bundle (SwiftPM builds both into one folder),
    /// or `$OVERSEER_BIN`.
    public static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["OVERSEER_BIN"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (exe as NSString).deletingLastPathComponent
        while !directory.isEmpty && directory != "/" {
            let candidate = directory + "/overseer"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return "overseer"
    }

    public init(extraArguments: [String] = [], environment: [String: String] = [:], wrapper: [String] = []) throws {
        self.wrapper = wrapper
        directory = TestProcesses.temporaryDirectory("overseer-sup")
        socketPath = directory + "/overseer.sock"
        stateDirectory = directory + "/state"
        logPath = directory + "/serve.log"
        client = UnixHTTPClient(socketPath: socketPath)
        try start(extraArguments: extraArguments, environment: environment)
    }

    /// Starts (or restarts) the supervisor and waits until its socket answers.
    public func start(extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "OVERSEER_CONFIG")
        for (key, value) in environment { env[key] = value }
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(log) }
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devnull) }
        let argv = wrapper + [Self.binaryPath, "serve", "--socket", socketPath, "--state-dir", stateDirectory, "--config", directory + "/none.toml"] + extraArguments
        _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
        pid = try spawnPlain(argv: argv, environment: env, stdin: devnull, stdout: log, stderr: log)
        let up = TestProcesses.waitUntil(timeout: 20, interval: 0.05) { self.isListening() || !TestProcesses.isAlive(self.pid) }
        guard up, TestProcesses.isAlive(pid) else {
            throw TestFailure("supervisor did not start; log:\n\(log_())")
        }
    }

    /// Whether a server accepts connections on the socket now (a stale socket file left by a
    /// killed instance refuses them, and the log of an earlier instance proves nothing).
    func isListening() -> Bool {
        SocketProbe.acceptsConnections(at: socketPath)
    }

    public func log_() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then wait for exit; returns the wait status.
    @discardableResult
    public func stop(timeout: Double = 30, signal: Int32 = SIGTERM) -> Int32? {
        guard pid > 0 else { return nil }
        kill(pid, signal)
        let status = TestProcesses.reap(pid, timeout: timeout)
        if status == nil { kill(pid, SIGKILL); _ = TestProcesses.reap(pid, timeout: 5) }
        pid = 0
        TestProcesses.reapZombieChildren()
        return status
    }

    /// SIGKILL, then reap.
    public func kill9() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        _ = TestProcesses.reap(pid, timeout: 10)
        pid = 0
        TestProcesses.reapZombieChildren()
    }

    /// Deletes the directory, and the cgroup subtree a root supervisor without delegation
    /// created for this state directory (after a SIGKILL it is still there, maybe populated).
    public func removeFiles() {
        TestProcesses.removeDirectory(directory)
        if let hierarchy = CgroupHierarchy.current() {
            let created = AgentCgroups.created(in: hierarchy, stateDirectory: stateDirectory)
            if created.root.exists { TestCgroups.destroy(created.root) }
        }
    }

    deinit {
        if pid > 0 { kill(pid, SIGKILL); _ = TestProcesses.reap(pid, timeout: 5) }
    }
}

/// Spawns a plain child (no PTY) with the given stdio; used to start test binaries.
///
/// Unset stdio goes to /dev/null: a test process must never hand the test runner's own
/// output pipe to something that could outlive it (the runner would wait for EOF forever).
public func spawnPlain(argv: [String], environment: [String: String], stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1, newSession: Bool = false, cgroupFD: Int32? = nil) throws -> Int32 {
    TestProcesses.becomeSubreaper()
    let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
    defer { close(devnull) }
    let stdin = stdin >= 0 ? stdin : devnull
    let stdout = stdout >= 0 ? stdout : devnull
    let stderr = stderr >= 0 ? stderr : devnull
    let cArgv = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArgv.forEach { free($0) }
        cEnv.forEach { free($0) }
    }
    var pid: Int32 = 0
    let rc = cArgv.withUnsafeBufferPointer { argvBuffer in
        cEnv.withUnsafeBufferPointer { envBuffer in
            let argvPointer = UnsafeMutablePointer(mutating: argvBuffer.baseAddress!)
            let envPointer = UnsafeMutablePointer(mutating: envBuffer.baseAddress!)
            let flags = newSession ? Int32(OV_SPAWN_SETSID) : 0
            if let cgroupFD {
                return ov_spawn_into_cgroup(argv[0], argvPointer, envPointer, nil, nil, stdin, stdout, stderr, flags, cgroupFD, &pid)
            }
            return ov_spawn(argv[0], argvPointer, envPointer, nil, nil, stdin, stdout, stderr, flags, &pid)
        }
    }
    if rc != 0 { throw TestFailure("spawn \(argv[0]) failed: \(String(cString: strerror(-rc)))") }
    return pid
}

/// A failure in test setup.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
