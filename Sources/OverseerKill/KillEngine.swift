import OverseerProcess
#if canImport(Glibc)
import Glibc
#endif

/// Kills whole process trees with zero survivors and zero wrong kills.
///
/// Sequence (after systemd's `cg_kill` loop): resolve the roots by identity; find the tree
/// (descendants by ppid, the roots' own sessions and process groups, processes carrying the
/// environment marker), open a verified pidfd for each member and SIGSTOP it, rescanning
/// until no newcomer appears (stopped processes cannot fork); then SIGTERM (and SIGHUP, for
/// interactive shells), SIGCONT, wait
/// the grace period polling pidfds, SIGKILL the rest, rescan and SIGKILL newcomers until a
/// rescan finds nobody new, and verify that every member is gone. Signals only ever go
/// through pidfds whose start time was checked after opening. Blocking: run it off the
/// event loop.
public struct KillEngine: Sendable {
    public var options: KillOptions

    public init(options: KillOptions = KillOptions()) {
        self.options = options
    }

    public func kill(_ target: KillTarget) -> KillReport {
        var run = KillRun(options: options, target: target)
        return run.execute()
    }

    /// The members the engine would act on, without signalling anything (for dry runs).
    public func plan(_ target: KillTarget) -> (members: [(ProcStat, MembershipReason)], skipped: [SkippedProcess]) {
        var run = KillRun(options: options, target: target)
        let snapshot = ProcessSnapshot.capture()
        run.resolveRoots(in: snapshot)
        let members = run.collectMembers(in: snapshot)
        return (members.compactMap { pid, reason in snapshot[pid].map { ($0, reason) } }, run.skippedList)
    }
}

/// The state of one kill in progress.
struct KillRun {
    struct Member {
        let handle: PidFD
        let comm: String
        let reason: MembershipReason
        var signals: [String] = []
        var killSent = false
        var exitedBeforeSignal = false
    }

    let options: KillOptions
    let target: KillTarget
    let protected: Set<Int32>
    let markerEntry: [UInt8]?
    var members: [Int32: Member] = [:]
    var order: [Int32] = []
    var skipped: [Int32: SkippedProcess] = [:]
    var skippedOrder: [Int32] = []
    /// Roots proven alive at the first scan, and the sessions/groups they lead.
    var liveRoots: [Int32] = []
    var ledSessions: Set<Int32> = []
    var ledGroups: Set<Int32> = []
    /// Marker checks already done, by pid and start time (environ is read once per process).
    var markerCache: [Int32: (UInt64, Bool)] = [:]
    var rescans = 0

    init(options: KillOptions, target: KillTarget) {
        self.options = options
        self.target = target
        self.protected = options.protected.union(ProtectedPIDs.callerAndAncestors())
        self.markerEntry = target.marker?.entryBytes
    }

    var skippedList: [SkippedProcess] { skippedOrder.compactMap { skipped[$0] } }

    mutating func skip(_ pid: Int32, _ stat: ProcStat?, identity: ProcessIdentity?, _ reason: SkipReason) {
        guard skipped[pid] == nil, members[pid] == nil else { return }
        skipped[pid] = SkippedProcess(pid: pid, identity: identity, comm: stat?.comm, reason: reason)
        skippedOrder.append(pid)
    }

    mutating func resolveRoots(in snapshot: ProcessSnapshot) {
        for root in target.roots {
            let stat = snapshot[root.pid]
            if root.bootID != snapshot.bootID || (stat != nil && stat!.startTime != root.startTime) {
                skip(root.pid, stat, identity: root, .identityMismatch)
            } else if let stat, !stat.state.isExited {
                if protected.contains(root.pid) {
                    skip(root.pid, stat, identity: root, .protectedPID)
                } else {
                    liveRoots.append(root.pid)
                    if stat.sid == root.pid { ledSessions.insert(root.pid) }
                    if stat.pgid == root.pid { ledGroups.insert(root.pid) }
                }
            } else {
                skip(root.pid, stat, identity: root, .notRunning)
            }
        }
    }

    mutating func carriesMarker(_ pid: Int32, _ stat: ProcStat) -> Bool {
        guard let markerEntry else { return false }
        if let (start, result) = markerCache[pid], start == stat.startTime { return result }
        var result = false
        if let bytes = try? ProcFile.readBytes("/proc/\(pid)/environ") {
            result = ProcFile.containsEntry(bytes, markerEntry)
        }
        markerCache[pid] = (stat.startTime, result)
        return result
    }

    /// The tree as seen in one snapshot: pid → why it belongs. Protected pids are recorded as
    /// skipped and not descended into.
    mutating func collectMembers(in snapshot: ProcessSnapshot) -> [(Int32, MembershipReason)] {
        var found: [Int32: MembershipReason] = [:]
        var seeds: [Int32] = []
        func add(_ pid: Int32, _ reason: MembershipReason) {
            guard found[pid] == nil else { return }
            found[pid] = reason
            seeds.append(pid)
        }
        for pid in liveRoots where snapshot[pid] != nil { add(pid, .root) }
        for pid in members.keys where snapshot[pid] != nil { add(pid, members[pid]!.reason) }
        for (pid, stat) in snapshot.processes where found[pid] == nil {
            if ledSessions.contains(stat.sid) { add(pid, .session) }
            else if ledGroups.contains(stat.pgid) { add(pid, .processGroup) }
            else if carriesMarker(pid, stat) { add(pid, .marker) }
        }
        // Close over ppid links from every member found so far.
        let children = snapshot.childrenByParent()
        var queue = seeds
        while let pid = queue.popLast() {
            for child in children[pid] ?? [] where found[child] == nil {
                found[child] = .descendant
                queue.append(child)
            }
        }
        var result: [(Int32, MembershipReason)] = []
        for (pid, reason) in found {
            guard let stat = snapshot[pid] else { continue }
            if protected.contains(pid) {
                skip(pid, stat, identity: snapshot.identity(of: pid), .protectedPID)
                continue
            }
            if isBehindProtected(pid, snapshot: snapshot, found: found) { continue }
            result.append((pid, reason))
        }
        return result
    }

    /// A process reached only through a protected one (by ppid) is not part of the tree,
    /// unless it qualifies on its own (session, group or marker).
    func isBehindProtected(_ pid: Int32, snapshot: ProcessSnapshot, found: [Int32: MembershipReason]) -> Bool {
        guard found[pid] == .descendant else { return false }
        var current = snapshot[pid]?.ppid ?? 0
        var steps = 0
        while current > 1, steps < 4096 {
            if protected.contains(current) { return true }
            guard let reason = found[current] else { return false }
            if reason != .descendant { return false }
            current = snapshot[current]?.ppid ?? 0
            steps += 1
        }
        return false
    }

    /// Opens verified pidfds for members not yet tracked; returns the new pids.
    mutating func admit(_ candidates: [(Int32, MembershipReason)], snapshot: ProcessSnapshot) -> [Int32] {
        var admitted: [Int32] = []
        for (pid, reason) in candidates where members[pid] == nil && skipped[pid] == nil {
            guard let stat = snapshot[pid], let identity = snapshot.identity(of: pid) else { continue }
            if stat.state.isExited { continue }
            do {
                let handle = try PidFD.open(identity)
                members[pid] = Member(handle: handle, comm: stat.comm, reason: reason)
                order.append(pid)
                admitted.append(pid)
            } catch .identityMismatch {
                skip(pid, stat, identity: identity, .identityMismatch)
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

    mutating func execute() -> KillReport {
        let started = MonotonicClock.now
        let first = ProcessSnapshot.capture()
        resolveRoots(in: first)
        // 1. Freeze the tree to a fixpoint: stopped processes cannot fork.
        let initial = admit(collectMembers(in: first), snapshot: first)
        send(SIGSTOP, to: initial)
        sweep(signals: [SIGSTOP])
        // 2. Ask politely, then let them run their handlers.
        let frozen = alivePIDs
        send(SIGTERM, to: frozen)
        if options.sendSIGHUP { send(SIGHUP, to: frozen) }
        send(SIGCONT, to: frozen)
        _ = PidFD.waitForExit(frozen.compactMap { members[$0]?.handle }, timeoutSeconds: options.graceSeconds)
        // 3. Kill what is left, and anything born meanwhile, until a rescan finds nobody new.
        send(SIGKILL, to: alivePIDs)
        sweep(signals: [SIGKILL])
        var stillAlive = PidFD.waitForExit(order.compactMap { members[$0]?.handle }, timeoutSeconds: options.settleSeconds)
        if !stillAlive.isEmpty {
            send(SIGKILL, to: stillAlive.map(\.identity.pid))
            stillAlive = PidFD.waitForExit(stillAlive, timeoutSeconds: options.settleSeconds)
        }
        // 4. Verify with a final scan: nothing of the tree may be alive.
        sweep(signals: [SIGKILL])
        stillAlive = PidFD.waitForExit(order.compactMap { members[$0]?.handle }, timeoutSeconds: options.settleSeconds)
        if options.reapOwnChildren {
            for pid in order { members[pid]?.handle.reapIfChild() }
        }
        return report(survivors: Set(stillAlive.map(\.identity.pid)), started: started)
    }

    func report(survivors: Set<Int32>, started: Double) -> KillReport {
        var processes: [KilledProcess] = []
        var survivorIDs: [ProcessIdentity] = []
        for pid in order {
            guard let member = members[pid] else { continue }
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
        return KillReport(processes: processes, skipped: skippedList, survivors: survivorIDs, rescans: rescans, durationSeconds: MonotonicClock.now - started)
    }
}
