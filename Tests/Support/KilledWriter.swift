import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-consistency harness: the test binary runs one of its own tests as a child writer
/// (`/proc/self/exe`, filtered to that test, with `variable` set to `spec`), which appends a line
/// to an acknowledgement file after each durable write. Once `count` lines are there, the child
/// gets SIGKILL; the caller then reopens the store and checks every acknowledged write.
public enum KilledWriter {
    public struct Outcome {
        /// Complete acknowledgement lines, in order (a line cut by the kill never counted).
        public var acknowledged: [String]
        /// True when the child died of the SIGKILL (not earlier, not of something else).
        public var killedBySIGKILL: Bool
    }

    public enum Failure: Error, CustomStringConvertible {
        case stalled(acknowledged: Int)
        public var description: String {
            switch self {
            case .stalled(let count): "the child stopped or stalled after \(count) acknowledgements"
            }
        }
    }

    /// Runs `test` (`Module.Class/testName`) as the child and kills it after `count` acknowledgements.
    public static func run(test: String, variable: String, spec: String, ackPath: String, count: Int, timeout: Double = 120) throws -> Outcome {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = [test]
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = spec
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        let deadline = Date().addingTimeInterval(timeout)
        while acknowledged(ackPath).count < count {
            guard child.isRunning, Date() < deadline else {
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
                throw Failure.stalled(acknowledged: acknowledged(ackPath).count)
            }
            usleep(2_000)
        }
        let sent = kill(child.processIdentifier, SIGKILL) == 0
        child.waitUntilExit()
        let killed = sent && child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL
        return Outcome(acknowledged: acknowledged(ackPath), killedBySIGKILL: killed)
    }

    /// The child's side: an append-only acknowledgement file written with plain write(2), which
    /// survives the process's death (the page cache is the kernel's).
    public final class AckFile {
        let fd: Int32

        public init(path: String) throws {
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        }

        deinit { close(fd) }

        /// Appends `line`; false when the write failed.
        public func acknowledge(_ line: String) -> Bool {
            let bytes = Array((line + "\n").utf8)
            return write(fd, bytes, bytes.count) == bytes.count
        }
    }

    static func acknowledged(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path),
              let end = data.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return String(decoding: data[..<end], as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
