import OverseerProcess
import OverseerSystem
#if canImport(Glibc)
import Glibc
#endif

/// The state of one kill in progress, over one or more targets.
struct KillRun {
    /// A process of a tree. No descriptor is held for it between signals: it is named by its
    /// identity, and every signal re-verifies that (see `VerifiedSignal`).
    struct Member {
        let identity: ProcessIdentity
        let comm: String
        let reason: MembershipReason
        let target: Int
        var signals: [String] = []
        var killSent = false
        var exitedBeforeSignal = false
        /// Verified gone (exited, or its pid reused after it exited).
        var gone = false
        /// The last signal that could not be sent, and why.
        var lastFailure: String?
    }

    struct Found {
        let pid: Int32
        let reason: MembershipReason
        let target: Int
    }

    let options: KillOptions
    let targets: [KillTarget]
    let protected: Set<Int32>
    /// Marker name → (value → target index).
    let markers: [String: [String: Int]]
    var members: [Int32: Member] = [:]
    var order: [Int32] = []
    var skipped: [Int32: (SkippedProcess, Int)] = [:]
    var skippedOrder: [Int32] = []
    /// Roots proven alive at the first scan (pid → (target, start time)), and the sessions/groups they lead.
    var liveRoots: [Int32: (target: Int, startTime: UInt64)] = [:]
    var ledSessions: [Int32: Int] = [:]
    var ledGroups: [Int32: Int] = [:]
    /// Marker lookups already done, by pid and start time (environ is read once per process).
    var markerCache: [Int32: (UInt64, Int?)] = [:]
    var rescans = 0
    /// What happened to each target's cgroup (by target index).
    var cgroupResults: [Int: CgroupKillResult] = [:]
    /// Why the last scan could not see everything (/proc or a cgroup unreadable), if it could not.
    var scanGap: String?

    init(options: KillOptions, targets: [KillTarget]) {
        self.options = options
        self.targets = targets
        self.protected = options.protected.union(ProtectedPIDs.callerAndAncestors())
        var markers: [String: [String: Int]] = [:]
        for (index, target) in targets.enumerated() {
            if let marker = target.marker { markers[marker.name, default: [:]][marker.value] = index }
        }
        self.markers = markers
    }

    func skippedList(for target: Int) -> [SkippedProcess] {
        skippedOrder.compactMap { skipped[$0] }.filter { $0.1 == target }.map(\.0)
    }

    mutating func skip(_ pid: Int32, _ stat: ProcStat?, identity: ProcessIdentity?, _ reason: SkipReason, target: Int) {
        guard skipped[pid] == nil, members[pid] == nil else { return }
        skipped[pid] = (SkippedProcess(pid: pid, identity: identity, comm: stat?.comm, reason: reason), target)
        skippedOrder.append(pid)
    }

    mutating func resolveRoots(in snapshot: ProcessSnapshot) {
        for (index, target) in targets.enumerated() {
            for root in target.roots {
                let stat = snapshot[root.pid]
                if root.bootID != snapshot.bootID || (stat != nil && stat!.startTime != root.startTime) {
                    skip(root.pid, stat, identity: root, .identityMismatch, target: index)
                } else if let stat, ThreadGroup.mayBeRunning(stat) {
                    if protected.contains(root.pid) {
                        skip(root.pid, stat, identity: root, .protectedPID, target: index)
                    } else {
                        liveRoots[root.pid] = (index, stat.startTime)
                        if stat.sid == root.pid { ledSessions[root.pid] = index }
                        if stat.pgid == root.pid { ledGroups[root.pid] = index }
                    }
                } else {
                    skip(root.pid, stat, identity: root, .notRunning, target: index)
                }
            }
        }
    }

    /// The target whose marker this process carries, if any (one environ read per process).
    mutating func markedTarget(_ pid: Int32, _ stat: ProcStat) -> Int? {
        guard !markers.isEmpty else { return nil }
        if let (start, result) = markerCache[pid], start == stat.startTime { return result }
        var result: Int?
        do {
            result = Self.lookup(try ProcFile.readBytes("/proc/\(pid)/environ"), markers)
        } catch .io(let failure) where failure.errno != .permissionDenied {
            // Not known, so not cached: the scan has a gap and the next one reads it again.
            scanGap = scanGap ?? "environ of pid \(pid): \(failure)"
            return nil
        } catch {
            result = nil
        }
        markerCache[pid] = (stat.startTime, result)
        return result
    }

    /// Finds a `NAME=VALUE` entry of the environ bytes whose value names a target.
    static func lookup(_ bytes: [UInt8], _ markers: [String: [String: Int]]) -> Int? {
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0 { end += 1 }
            if let eq = bytes[start..<end].firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: bytes[start..<eq], as: UTF8.self)
                if let values = markers[name], let target = values[String(decoding: bytes[(eq + 1)..<end], as: UTF8.self)] {
                    return target
                }
            }
            start = end + 1
        }
        return nil
    }

    /// The trees as seen in one snapshot. Protected pids are recorded as skipped and not descended into.
    mutating func collectMembers(in snapshot: ProcessSnapshot) -> [Found] {
        var found: [Int32: (MembershipReason, Int)] = [:]
        var seeds: [Int32] = []
        func add(_ pid: Int32, _ reason: MembershipReason, _ target: Int) {
            guard found[pid] == nil else { return }
            found[pid] = (reason, target)
            seeds.append(pid)
        }
        scanGap = snapshot.incompleteness
        for (pid, root) in liveRoots where snapshot[pid]?.startTime == root.startTime { add(pid, .root, root.target) }
        for (pid, member) in members where snapshot[pid]?.startTime == member.identity.startTime { add(pid, member.reason, member.target) }
        for (pid, stat) in snapshot.processes where found[pid] == nil {
            if let target = ledSessions[stat.sid] { add(pid, .session, target) }
            else if let target = ledGroups[stat.pgid] { add(pid, .processGroup, target) }
            else if let target = markedTarget(pid, stat) { add(pid, .marker, target) }
        }
        for (index, target) in targets.enumerated() {
            guard let cgroup = target.cgroup else { continue }
            let inside: [Int32]
            do {
                inside = try cgroup.allProcesses()
            } catch .missing {
                inside = []
            } catch {
                scanGap = scanGap ?? "cgroup \(cgroup.path): \(error)"
                inside = []
            }
            for pid in inside where snapshot[pid] != nil { add(pid, .cgroup, index) }
        }
        for (index, target) in targets.enumerated() {
            guard let lineage = target.lineage else { continue }
            for identity in lineage.members() where identity.bootID == snapshot.bootID && snapshot[identity.pid]?.startTime == identity.startTime {
                add(identity.pid, .lineage, index)
            }
        }
        // Close over ppid links from every member found so far; children join their parent's tree.
        let children = snapshot.childrenByParent()
        var queue = seeds
        while let pid = queue.popLast() {
            let target = found[pid]!.1
            for child in children[pid] ?? [] where found[child] == nil {
                found[child] = (.descendant, target)
                queue.append(child)
            }
        }
        var result: [Found] = []
        for (pid, (reason, target)) in found {
            guard let stat = snapshot[pid] else { continue }
            if protected.contains(pid) {
                skip(pid, stat, identity: snapshot.identity(of: pid), .protectedPID, target: target)
                continue
            }
            if isBehindProtected(pid, snapshot: snapshot, found: found) { continue }
            result.append(Found(pid: pid, reason: reason, target: target))
        }
        return result
    }

    /// A process reached only through a protected one (by ppid) is not part of the tree,
    /// unless it qualifies on its own (session, group or marker).
    func isBehindProtected(_ pid: Int32, snapshot: ProcessSnapshot, found: [Int32: (MembershipReason, Int)]) -> Bool {
        guard found[pid]?.0 == .descendant else { return false }
        var current = snapshot[pid]?.ppid ?? 0
        var steps = 0
        while current > 1, steps < 4096 {
            if protected.contains(current) { return true }
            guard let (reason, _) = found[current] else { return false }
            if reason != .descendant { return false }
            current = snapshot[current]?.ppid ?? 0
            steps += 1
        }
        return false
    }
}
