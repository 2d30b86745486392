import Foundation
import COverseerSys
import OverseerProcess
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that start real processes. Every helper that starts something returns
/// its pid so the test can end it by pid; nothing here kills by name.
public enum TestProcesses {
    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func waitUntil(timeout: Double, interval: Double = 0.02, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(UInt32(interval * 1_000_000))
        }
        return condition()
    }

    public static func waitUntilAsync(timeout: Double, interval: Double = 0.02, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
        return await condition()
    }

    /// True when `pid` exists and is not a zombie.
    public static func isAlive(_ pid: Int32) -> Bool { ProcStat.isRunning(pid: pid) }

    /// Live (non-zombie) processes whose environment holds `name=value`.
    public static func pidsCarrying(_ name: String, _ value: String) -> [Int32] {
        ProcessSnapshot.listPIDs().filter { pid in
            ProcessSnapshot.environContains(pid: pid, name: name, value: value) && isAlive(pid)
        }
    }

    /// The tree many tests release or reap: children, a setsid child and a double-forked
    /// setsid daemon (re-parented away), all carrying the marker.
    public static let escapingTree = #"sleep 600 & setsid sleep 600 & (setsid sh -c "sleep 600 &") & wait"#

    /// True once the escaping tree carrying `OVERSEER_AGENT_ID=marker` has settled: the root
    /// shell and its three sleeps, no intermediate shell left (a count taken before that
    /// misses the daemon still being forked).
    public static func escapingTreeSettled(marker: String, root: Int32) -> Bool {
        let carriers = pidsCarrying("OVERSEER_AGENT_ID", marker)
        return carriers.count == 4 && carriers.allSatisfy { $0 == root || (try? ProcStat.read(pid: $0))?.comm == "sleep" }
    }

    /// Zombie children of `parent`.
    public static func zombies(parent: Int32) -> [Int32] {
        ProcessSnapshot.capture().processes.values.filter { $0.ppid == parent && $0.state == .zombie }.map(\.pid)
    }

    /// Waits for a child of this process to exit and reaps it; returns its wait status, or nil on timeout.
    public static func reap(_ pid: Int32, timeout: Double = 10) -> Int32? {
        var status: Int32 = 0
        var result: Int32? = nil
        _ = waitUntil(timeout: timeout, interval: 0.01) {
            let rc = waitpid(pid, &status, WNOHANG)
            if rc == pid { result = status; return true }
            if rc < 0 { result = -1; return true }
            return false
        }
        return result
    }

    /// The signal that ended a child of this process by crashing it (SIGSEGV, SIGBUS, SIGILL,
    /// SIGTRAP, SIGABRT, SIGFPE), reaping it; nil while it runs, or when it ended otherwise.
    public static func crashSignal(_ pid: Int32) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        let signal = status & 0x7f
        guard signal != 0, signal != 0x7f else { return nil }
        return [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE].contains(signal) ? signal : nil
    }

    /// SIGKILLs each pid still alive (a test's last resort cleanup) and reaps those that are our children.
    public static func killAll(_ pids: [Int32]) {
        let me = getpid()
        let ours = pids.filter { (try? ProcStat.read(pid: $0))?.ppid == me }
        for pid in pids where isAlive(pid) { kill(pid, SIGKILL) }
        for pid in ours { _ = reap(pid, timeout: 5) }
        reapZombieChildren()
    }

    /// Reaps children of this process that have already exited (orphans adopted as
    /// subreaper). Call it only once the processes a test waits for have been reaped.
    public static func reapZombieChildren(settle: Double = 0.2) {
        let deadline = Date().addingTimeInterval(settle)
        repeat {
            for pid in zombies(parent: getpid()) {
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)
            }
            usleep(20_000)
        } while Date() < deadline
    }

    /// Kills every live process carrying the marker (cleanup for trees under test), and
    /// reaps those that are (or became, as orphans) this process's children.
    public static func killCarrying(_ name: String, _ value: String) {
        for _ in 0..<5 {
            let pids = pidsCarrying(name, value)
            if pids.isEmpty { break }
            killAll(pids)
        }
        reapZombieChildren()
    }

    /// Makes this test process a child subreaper (once): orphans of the trees tests start
    /// re-parent here, where the tests reap them, instead of to pid 1 — which, on some
    /// machines, never reaps them.
    public static func becomeSubreaper() {
        _ = subreaperOnce
    }

    private static let subreaperOnce: Bool = ov_set_child_subreaper(1) == 0

    /// A fresh temporary directory (removed by the caller with `removeDirectory`).
    public static func temporaryDirectory(_ prefix: String = "overseer-test") -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer in String(cString: mkdtemp(buffer.baseAddress!)) }
        return path
    }

    public static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A random marker value for tagging the processes of one test.
    public static func uniqueMarker() -> String {
        "t\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Open file descriptors of this process.
    public static func openFDCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// Direct children of `parent` (this process by default), live or zombie.
    public static func children(of parent: Int32 = getpid()) -> [Int32] {
        ProcessSnapshot.capture().processes.values.filter { $0.ppid == parent }.map(\.pid)
    }
}

extension TestProcesses {
    /// Reads a non-blocking PTY master until its output contains `needle` or the timeout passes.
    public static func readPTY(_ fd: Int32, until needle: String, timeout: Double = 10) -> String {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = waitUntil(timeout: timeout, interval: 0.01) {
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                collected += buffer[0..<n]
            }
            return String(decoding: collected, as: UTF8.self).contains(needle)
        }
        return String(decoding: collected, as: UTF8.self)
    }
}
