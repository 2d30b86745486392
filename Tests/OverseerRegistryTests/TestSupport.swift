import Foundation
import OverseerProcess
@testable import OverseerRegistry
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed by `remove()` (call it from tearDown).
final class TempDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/overseer-registry-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw NSError(domain: "mkdtemp", code: Int(errno))
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names in a directory (default: this one), sorted.
    func listing(_ directory: String? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory ?? path)) ?? []).sorted()
    }

    func remove() {
        // Undo modes/owners a test may have set so removal cannot fail half-way.
        chmod(path, 0o700)
        try? FileManager.default.removeItem(atPath: path)
    }
}

enum Files {
    static func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
        try write(path, Array(text.utf8), mode: mode)
    }

    static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        guard chmod(path, mode) == 0 else { throw NSError(domain: "chmod", code: Int(errno)) }
    }

    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map(Array.init)
    }

    static func exists(_ path: String) -> Bool { info(path) != nil }

    /// lstat(2).
    static func info(_ path: String) -> Glibc.stat? {
        var st = Glibc.stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    static func mode(_ path: String) -> mode_t? { info(path).map { $0.st_mode & 0o7777 } }
}

/// Child processes started with posix_spawn and reaped by pid (never by name).
enum Spawn {
    /// Starts `argv` (looked up in PATH) with stdout to `stdout` when given; returns its pid.
    static func start(_ argv: [String], environment: [String: String]? = nil, stdout: Int32? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgv, cEnv)
        guard rc == 0 else { throw NSError(domain: "posix_spawnp \(argv[0])", code: Int(rc)) }
        return pid
    }

    /// Runs to completion; returns the exit status and stdout.
    static func run(_ argv: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw NSError(domain: "pipe", code: Int(errno)) }
        let pid: pid_t
        do {
            pid = try start(argv, environment: environment, stdout: fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        return (reap(pid), String(decoding: output, as: UTF8.self))
    }

    /// Waits for a child; returns its exit status (128+signal when killed).
    @discardableResult
    static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// SIGKILLs a child by pid and reaps it.
    static func killAndReap(_ pid: pid_t) {
        kill(pid, SIGKILL)
        reap(pid)
    }

    /// `ps -o lstart= -p PID` in the C locale, trimmed.
    static func lstart(of pid: pid_t, timeZone: String? = nil) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        if let timeZone { environment["TZ"] = timeZone }
        let (status, output) = try run(["ps", "-o", "lstart=", "-p", "\(pid)"], environment: environment)
        guard status == 0 else { throw NSError(domain: "ps exited \(status)", code: Int(status)) }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension RegistryDocument {
    /// A document with `count` entries, for tests.
    static func sample(count: Int = 2, now: Double = 1_780_920_000.25) -> RegistryDocument {
        let supervisor = ProcessIdentity(pid: 4242, startTime: 123_456, bootID: "boot-1")
        let agents = (0..<count).map { index in
            RegistryEntry(
                id: "agent-\(index)", name: "worker-\(index)", role: "coder",
                issue: IssueRef(uuid: "u-\(index)", key: "OV-\(index)", path: "issues/\(index).md"),
                sessionRef: "session-\(index)", dispatchID: "d-\(index)", incarnation: "inc-\(index)",
                state: index % 2 == 0 ? .running : .dispatchFailed,
                roots: [ProcessIdentity(pid: Int32(1000 + index), startTime: UInt64(5000 + index), bootID: "boot-1")],
                cgroup: "/sys/fs/cgroup/overseer/agents/agent-\(index)", owner: supervisor,
                createdAt: now - 10, updatedAt: now, reapAttempts: index, firstUnresolvedAt: index == 1 ? now - 5 : nil
            )
        }
        return RegistryDocument(supervisor: SupervisorRecord(identity: supervisor, status: .running, heartbeatAt: now), updatedAt: now, agents: agents)
    }
}
