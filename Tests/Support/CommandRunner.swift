import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the `overseer` binary (or any program) to completion, capturing its output.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum CommandRunner {
    /// Starts a command; returns its pid and the files its output goes to.
    public static func start(_ argv: [String], environment: [String: String] = [:], directory: String) throws -> (pid: Int32, out: String, err: String) {
        let token = UInt32.random(in: 0...UInt32.max)
        let outPath = "\(directory)/cmd-\(token).out"
        let errPath = "\(directory)/cmd-\(token).err"
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(out); close(err); close(devnull) }
        var env = ProcessInfo.processInfo.environment
        for key in ["OVERSEER_CONFIG", "NOTIFY_SOCKET", "OVERSEER_AGENT_ID", "OVERSEER_INCARNATION"] { env.removeValue(forKey: key) }
        for (key, value) in environment { env[key] = value }
        let pid = try spawnPlain(argv: argv, environment: env, stdin: devnull, stdout: out, stderr: err)
        return (pid, outPath, errPath)
    }

    /// Waits for a started command and collects its result.
    public static func finish(_ started: (pid: Int32, out: String, err: String), timeout: Double = 120) -> CommandResult {
        let status = TestProcesses.reap(started.pid, timeout: timeout) ?? -1
        defer {
            unlink(started.out)
            unlink(started.err)
        }
        return CommandResult(
            status: status < 0 ? -1 : ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)),
            stdout: (try? String(contentsOfFile: started.out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: started.err, encoding: .utf8)) ?? ""
        )
    }

    public static func run(_ argv: [String], environment: [String: String] = [:], directory: String, timeout: Double = 120) throws -> CommandResult {
        finish(try start(argv, environment: environment, directory: directory), timeout: timeout)
    }
}
