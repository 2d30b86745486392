import OverseerSystem

/// One pass over /proc: every process's stat fields at (nearly) one moment.
///
/// Processes that exit while the scan runs are simply absent; that is normal. Command lines
/// and environments are not part of the scan: read them lazily with `cmdline(of:)` and
/// `environ(of:)`, since most callers need them for only a few processes.
public struct ProcessSnapshot: Sendable {
    public let processes: [Int32: ProcStat]
    public let bootID: String
    /// Pids listed in /proc whose stat could not be read for a reason other than their exit
    /// (out of descriptors, ...): the scan does not know what they are.
    public let unreadable: [Int32]
    /// Why /proc itself could not be listed, if it could not (the snapshot is then empty).
    public let listingFailure: String?

    public init(processes: [Int32: ProcStat], bootID: String = BootID.current, unreadable: [Int32] = [], listingFailure: String? = nil) {
        self.processes = processes
        self.bootID = bootID
        self.unreadable = unreadable
        self.listingFailure = listingFailure
    }

    /// True when every process listed was read: absence from the snapshot then means gone.
    public var isComplete: Bool { unreadable.isEmpty && listingFailure == nil }

    /// What the scan missed, in words (nil when complete).
    public var incompleteness: String? {
        if let listingFailure { return "cannot list /proc: \(listingFailure)" }
        if !unreadable.isEmpty { return "\(unreadable.count) /proc entries unreadable (first: pid \(unreadable[0]))" }
        return nil
    }

    /// Scans /proc now. Processes that exit during the scan are absent; other read failures
    /// are recorded in `unreadable` / `listingFailure`, never silently dropped.
    public static func capture() -> ProcessSnapshot {
        var result: [Int32: ProcStat] = [:]
        var unreadable: [Int32] = []
        let pids: [Int32]
        do {
            pids = try listPIDsChecked()
        } catch {
            return ProcessSnapshot(processes: [:], unreadable: [], listingFailure: "\(error)")
        }
        for pid in pids {
            do {
                result[pid] = try ProcStat.read(pid: pid)
            } catch .gone {
                continue
            } catch {
                unreadable.append(pid)
            }
        }
        return ProcessSnapshot(processes: result, unreadable: unreadable)
    }

    /// The numeric entries of /proc (empty when it cannot be listed).
    public static func listPIDs() -> [Int32] {
        (try? listPIDsChecked()) ?? []
    }

    /// The numeric entries of /proc, or why they could not be listed.
    public static func listPIDsChecked() throws(SystemCallError) -> [Int32] {
        var pids: [Int32] = []
        pids.reserveCapacity(1024)
        try DirectoryEntries.forEach(in: "/proc") { name, _ in
            var value: Int32 = 0
            for byte in name {
                guard byte >= 0x30 && byte <= 0x39 else { return }
                value = value * 10 + Int32(byte - 0x30)
            }
            if !name.isEmpty { pids.append(value) }
        }
        return pids
    }

    public subscript(pid: Int32) -> ProcStat? { processes[pid] }

    /// The identity of a process in this snapshot.
    public func identity(of pid: Int32) -> ProcessIdentity? {
        processes[pid].map { ProcessIdentity(pid: pid, startTime: $0.startTime, bootID: bootID) }
    }

    /// pid → direct children, built on demand.
    public func childrenByParent() -> [Int32: [Int32]] {
        var map: [Int32: [Int32]] = [:]
        for (pid, stat) in processes { map[stat.ppid, default: []].append(pid) }
        return map
    }

    /// Every descendant of `root` (not including it), following ppid links breadth-first.
    /// Descent stops at any pid in `stopAt` (it is neither included nor descended into).
    public func descendants(of root: Int32, stopAt: Set<Int32> = [], children: [Int32: [Int32]]? = nil) -> [Int32] {
        let map = children ?? childrenByParent()
        var result: [Int32] = []
        var queue = map[root] ?? []
        var seen: Set<Int32> = [root]
        while let pid = queue.popLast() {
            guard !seen.contains(pid), !stopAt.contains(pid) else { continue }
            seen.insert(pid)
            result.append(pid)
            queue.append(contentsOf: map[pid] ?? [])
        }
        return result
    }

    /// Ancestors of `pid`, nearest first, ending at pid 1 (or where the chain leaves the snapshot).
    public func ancestors(of pid: Int32) -> [Int32] {
        var result: [Int32] = []
        var current = processes[pid]?.ppid ?? 0
        var guardCount = 0
        while current > 0, guardCount < 4096 {
            result.append(current)
            guard let next = processes[current]?.ppid, next != current else { break }
            current = next
            guardCount += 1
        }
        return result
    }

    /// Reads a process's argv now (empty for kernel threads and zombies; nil when gone).
    public static func cmdline(of pid: Int32) -> [String]? {
        guard let bytes = try? ProcFile.readBytes("/proc/\(pid)/cmdline") else { return nil }
        return ProcFile.splitNUL(bytes)
    }

    /// Reads a process's initial environment now (nil when gone or unreadable).
    public static func environ(of pid: Int32) -> [String: String]? {
        guard let bytes = try? ProcFile.readBytes("/proc/\(pid)/environ") else { return nil }
        var env: [String: String] = [:]
        for entry in ProcFile.splitNUL(bytes) {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return env
    }

    /// The value of one variable in a process's initial environment (nil when absent or unreadable).
    public static func environValue(pid: Int32, name: String) -> String? {
        guard let bytes = try? ProcFile.readBytes("/proc/\(pid)/environ") else { return nil }
        let prefix = Array("\(name)=".utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0 { end += 1 }
            if end - start >= prefix.count && bytes[start..<(start + prefix.count)].elementsEqual(prefix) {
                return String(decoding: bytes[(start + prefix.count)..<end], as: UTF8.self)
            }
            start = end + 1
        }
        return nil
    }

    /// Whether a process's environment holds exactly `name=value`. Cheaper than `environ(of:)`.
    public static func environContains(pid: Int32, name: String, value: String) -> Bool {
        guard let bytes = try? ProcFile.readBytes("/proc/\(pid)/environ") else { return false }
        return ProcFile.containsEntry(bytes, Array("\(name)=\(value)".utf8))
    }
}
