import Foundation
import OverseerClient
import OverseerProcess
import OverseerTestSupport
import OverseerWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the tests of what operators do to a supervisor: signals, full disks, a second instance.
enum OperatorSupport {
    /// Runs `overseer ARGS` to completion (stdin /dev/null) and returns its exit status and output.
    static func overseer(_ arguments: [String], directory: String, environment: [String: String] = [:], timeout: Double = 60) throws -> CommandResult {
        try CommandRunner.run([SupervisorProcess.binaryPath] + arguments, environment: environment, directory: directory, timeout: timeout)
    }

    /// POST /v1/agents without an Idempotency-Key.
    static func spawn(_ client: UnixHTTPClient, _ name: String, _ argv: [String], env: [String: String] = [:]) async throws -> ClientResponse {
        try await client.send(try .json(.post, "/v1/agents", SpawnRequest(name: name, argv: argv, cwd: "/tmp", env: env)), timeout: .seconds(60))
    }

    /// The start time of `pid` (field 22 of /proc/PID/stat), nil when it is gone or a zombie.
    static func startTime(of pid: Int32) -> UInt64? {
        guard TestProcesses.isAlive(pid) else { return nil }
        return (try? ProcStat.read(pid: pid))?.startTime
    }

    /// What a test compares of a file: size, modification time (ns) and every byte.
    struct FileState: Equatable, CustomStringConvertible {
        var size: Int
        var modified: String
        var bytes: Data
        var description: String { "size=\(size) mtime=\(modified)" }
    }

    /// Every regular file directly in `directory`, by name.
    static func snapshot(_ directory: String) -> [String: FileState] {
        var result: [String: FileState] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            result[name] = FileState(size: Int(st.st_size), modified: "\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)", bytes: bytes)
        }
        return result
    }

    /// Mounts a tmpfs of `size` at a new directory (the tests run as root; not being able to is a failure).
    static func mountTmpfs(size: String) throws -> String {
        let mountPoint = TestProcesses.temporaryDirectory("overseer-tmpfs")
        let result = try CommandRunner.run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", mountPoint], directory: "/tmp")
        guard result.status == 0 else {
            TestProcesses.removeDirectory(mountPoint)
            throw TestFailure("cannot mount a tmpfs (the tests run as root): \(result.stderr)")
        }
        return mountPoint
    }

    static func unmount(_ mountPoint: String) {
        _ = try? CommandRunner.run(["/bin/umount", "-l", mountPoint], directory: "/tmp")
        TestProcesses.removeDirectory(mountPoint)
    }

    /// Remounts the file system at `mountPoint` read-only or read-write, retrying while a
    /// writer holds a file open (EBUSY) for up to 10 s; false when it never succeeded.
    @discardableResult
    static func remount(_ mountPoint: String, readOnly: Bool) -> Bool {
        TestProcesses.waitUntil(timeout: 10, interval: 0.02) {
            (try? CommandRunner.run(["/bin/mount", "-o", readOnly ? "remount,ro" : "remount,rw", mountPoint], directory: "/tmp"))?.status == 0
        }
    }

    /// Writes zeros to `path` until the file system says it is full; returns the bytes written.
    @discardableResult
    static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            total += n
        }
        // Single bytes too, so not even a partial block is left.
        while write(fd, chunk, 1) == 1 { total += 1 }
        fsync(fd)
        return total
    }
}
