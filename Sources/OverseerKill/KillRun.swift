import OverseerProcess
import OverseerSystem
#if canImport(Glibc)
import Glibc
#endif

/// The state of one kill in progress, over one or more targets.
struct KillRun {
    struct Member {
        let handle: PidFD
        let comm: String
        let reason: MembershipReason
        let target: Int
        var signals: [String] = []
        var killSent = false
        var exitedBeforeSignal = false
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
    /// Roots proven alive at the first scan (pid → target), and the sessions/groups they lead.
    var liveRoots: [Int32: Int] = [:]
    var ledSessions: [Int32: Int] = [:]
    var ledGroups: [Int32: Int] = [:]
    /// Marker lookups already done, by pid and start time (environ is read once per process).
    var markerCache: [Int32: (UInt64, Int?)] = [:]
    var rescans = 0
    /// What happened to each target's cgroup (by target index).
    var cgroupResults: [Int: CgroupKillResult] = [:]

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
                } else if let stat, !stat.state.isExited {
                    if protected.contains(root.pid) {
                        skip(root.pid, stat, identity: root, .protectedPID, target: index)
                    } else {
                        liveRoots[root.pid] = index
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
        if let bytes = try? ProcFile.readBytes("/proc/\(pid)/environ") {
            result = Self.lookup(bytes, markers)
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
        for (pid, target) in liveRoots where snapshot[pid] != nil { add(pid, .root, target) }
        for (pid, member) in members where snapshot[pid] != nil { add(pid, member.reason, member.target) }
        for (pid, stat) in snapshot.processes where found[pid] == nil {
            if let target = ledSessions[stat.sid] { add(pid, .session, target) }
            else if let target = ledGroups[stat.pgid] { add(pid, .processGroup, target) }
            else if let target = markedTarget(pid, stat) { add(pid, .marker, target) }
        }
        for (index, target) in targets.enumerated() {
            guard let cgroup = target.cgroup else { continue }
            for pid in (try? cgroup.allProcesses()) ?? [] where snapshot[pid] != nil { add(pid, .cgroup, index) }
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

    /// Opens verified pidfds for members not yet tracked; returns the new pids.
    mutating func admit(_ candidates: [Found], snapshot: ProcessSnapshot) -> [Int32] {
        var admitted: [Int32] = []
        for candidate in candidates where members[candidate.pid] == nil && skipped[candidate.pid] == nil {
            let pid = candidate.pid
            guard let stat = snapshot[pid], let identity = snapshot.identity(of: pid) else { continue }
            if stat.state.isExited { continue }
            do {
                let handle = try PidFD.open(identity)
                members[pid] = Member(handle: handle, comm: stat.comm, reason: candidate.reason, target: candidate.target)
                order.append(pid)
                admitted.append(pid)
            } catch .identityMismatch {
                skip(pid, stat, identity: identity, .identityMismatch, target: candidate.target)
            } catch {
                continue // exited between the scan and the open: nothing to do
            }
        }
        return admitted
    }

    mutating func send(_ signal: Int32, to pids: [Int32]) {
        for pid in pids {
            guard var member = members[pid] else { continue }
            if member.handle.hasExited { continue }
            if (try? member.handle.send(signal)) == true {
                member.signals.append(SignalName.of(signal))
                if signal == SIGKILL { member.killSent = true }
            } else if member.signals.isEmpty {
                member.exitedBeforeSignal = true
            }
            members[pid] = member
        }
    }

    var alivePIDs: [Int32] { order.filter { members[$0].map { !$0.handle.hasExited } ?? false } }

    /// Scans, admits and signals newcomers until a scan finds nobody new.
    mutating func sweep(signals: [Int32]) {
        var count = 0
        while count < options.maxRescans {
            let snapshot = ProcessSnapshot.capture()
            let newcomers = admit(collectMembers(in: snapshot), snapshot: snapshot)
            rescans += 1
            count += 1
            if newcomers.isEmpty { return }
            for signal in signals { send(signal, to: newcomers) }
        }
    }

    mutating func execute() -> [KillReport] {
        let started = ContinuousClock.now
        let first = ProcessSnapshot.capture()
        resolveRoots(in: first)
        // 1. Freeze the trees to a fixpoint: stopped processes cannot fork.
        let initial = admit(collectMembers(in: first), snapshot: first)
        send(SIGSTOP, to: initial)
        sweep(signals: [SIGSTOP])
        // 2. Ask politely, then let them run their handlers.
        let frozen = alivePIDs
        send(SIGTERM, to: frozen)
        if options.sendSIGHUP { send(SIGHUP, to: frozen) }
        send(SIGCONT, to: frozen)
        _ = PidFD.waitForExit(frozen.compactMap { members[$0]?.handle }, timeoutSeconds: options.graceSeconds)
        // 3. Kill what is left, and anything born meanwhile, until a rescan finds nobody new:
        //    whole cgroups at once with cgroup.kill, other members through their pidfds.
        killCgroups()
        send(SIGKILL, to: alivePIDs.filter { members[$0]?.killSent == false })
        sweep(signals: [SIGKILL])
        var stillAlive = PidFD.waitForExit(order.compactMap { members[$0]?.handle }, timeoutSeconds: options.settleSeconds)
        if !stillAlive.isEmpty {
            send(SIGKILL, to: stillAlive.map(\.identity.pid))
            stillAlive = PidFD.waitForExit(stillAlive, timeoutSeconds: options.settleSeconds)
        }
        // 4. Verify with a final scan: nothing of the trees may be alive.
        sweep(signals: [SIGKILL])
        stillAlive = PidFD.waitForExit(order.compactMap { members[$0]?.handle }, timeoutSeconds: options.settleSeconds)
        if options.reapOwnChildren {
            for pid in order { members[pid]?.handle.reapIfChild() }
        }
        // 5. Emptied cgroups are removed; whatever a cgroup still holds (protected pids
        //    aside) is a survivor.
        let leftovers = settleCgroups()
        let survivors = Set(stillAlive.map(\.identity.pid))
        let duration = (ContinuousClock.now - started).inSeconds
        return targets.indices.map { report(for: $0, survivors: survivors, leftovers: leftovers[$0] ?? [], duration: duration) }
    }

    func report(for target: Int, survivors: Set<Int32>, leftovers: [ProcessIdentity], duration: Double) -> KillReport {
        var processes: [KilledProcess] = []
        var survivorIDs: [ProcessIdentity] = []
        for pid in order {
            guard let member = members[pid], member.target == target else { continue }
            let outcome: KillOutcome
            if survivors.contains(pid) {
                outcome = .survived
                survivorIDs.append(member.handle.identity)
            } else if member.signals.isEmpty || member.exitedBeforeSignal {
                outcome = .exited
            } else {
                outcome = member.killSent ? .killed : .terminated
            }
            processes.append(KilledProcess(identity: member.handle.identity, comm: member.comm, reason: member.reason, signals: member.signals, outcome: outcome))
        }
        for identity in leftovers where !survivorIDs.contains(where: { $0.pid == identity.pid }) { survivorIDs.append(identity) }
        return KillReport(processes: processes, skipped: skippedList(for: target), survivors: survivorIDs, rescans: rescans, durationSeconds: duration, cgroup: cgroupResults[target])
    }
}
