import OverseerProcess
import OverseerSystem
#if canImport(Glibc)
import Glibc
#endif

/// The signalling side of a kill: admitting members, sending signals, waiting, verifying.
/// Every member is named by its identity only; a pidfd is opened for each signal and closed
/// right after it (see `VerifiedSignal`), so the engine works within any descriptor limit.
/// What cannot be verified gone is a survivor, and a scan that could not see everything
/// makes the report unclean.
extension KillRun {
    /// Scans /proc, retrying a scan with gaps (descriptors run out, then free up) for a while.
    func scan(retryingForSeconds seconds: Double = 1) -> ProcessSnapshot {
        var snapshot = ProcessSnapshot.capture()
        guard !snapshot.isComplete else { return snapshot }
        let deadline = ContinuousClock.Instant.after(seconds: seconds)
        var pause = Duration.milliseconds(2)
        while !snapshot.isComplete, ContinuousClock.now < deadline {
            BlockingSleep.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(100))
            snapshot = ProcessSnapshot.capture()
        }
        return snapshot
    }

    /// Records members not yet tracked (by their identity in this snapshot); returns the new pids.
    mutating func admit(_ candidates: [Found], snapshot: ProcessSnapshot) -> [Int32] {
        var admitted: [Int32] = []
        for candidate in candidates where members[candidate.pid] == nil && skipped[candidate.pid] == nil {
            let pid = candidate.pid
            guard let stat = snapshot[pid], let identity = snapshot.identity(of: pid) else { continue }
            guard ThreadGroup.mayBeRunning(stat) else { continue }
            members[pid] = Member(identity: identity, comm: stat.comm, reason: candidate.reason, target: candidate.target)
            order.append(pid)
            admitted.append(pid)
        }
        return admitted
    }

    /// Sends `signals` (in this order) to each member not known to be gone.
    mutating func send(_ signals: [Int32], to pids: [Int32]) {
        for pid in pids {
            guard var member = members[pid], !member.gone else { continue }
            let results = VerifiedSignal.send(signals, to: member.identity)
            for (signal, result) in zip(signals, results) {
                switch result {
                case .delivered:
                    member.signals.append(SignalName.of(signal))
                    if signal == SIGKILL { member.killSent = true }
                case .gone:
                    if member.signals.isEmpty { member.exitedBeforeSignal = true }
                    member.gone = true
                case .reused:
                    member.gone = true
                case .failed(let reason):
                    member.lastFailure = reason
                }
                if member.gone { break }
            }
            if member.gone && member.signals.isEmpty && results.first == .reused {
                // Its pid was taken by another process between the scan and the first signal:
                // never signalled, reported as the mismatch it is.
                members[pid] = nil
                order.removeAll { $0 == pid }
                skip(pid, nil, identity: member.identity, .identityMismatch, target: member.target)
                skipped[pid]?.0.comm = member.comm
                continue
            }
            members[pid] = member
        }
    }

    /// Members not yet known to be gone, in admission order.
    var alivePIDs: [Int32] { order.filter { members[$0].map { !$0.gone } ?? false } }

    /// Waits for the given members to exit; marks the ones that did gone and returns the rest.
    mutating func wait(for pids: [Int32], seconds: Double) -> [Int32] {
        let identities = pids.compactMap { pid in members[pid].flatMap { $0.gone ? nil : $0.identity } }
        let remaining = Set(VerifiedSignal.waitForExit(identities, timeoutSeconds: seconds).map(\.pid))
        for identity in identities where !remaining.contains(identity.pid) { members[identity.pid]?.gone = true }
        return pids.filter { remaining.contains($0) }
    }

    /// Scans, admits and signals newcomers until a complete scan finds nobody new.
    mutating func sweep(signals: [Int32]) {
        var count = 0
        var roundsWithGaps = 0
        while count < options.maxRescans {
            let snapshot = scan()
            let newcomers = admit(collectMembers(in: snapshot), snapshot: snapshot)
            rescans += 1
            count += 1
            send(signals, to: newcomers)
            guard newcomers.isEmpty else { continue }
            // Nobody new: done when the scan saw everything; a scan with gaps is tried a few
            // more times, and if the gap stays the report says so (never clean).
            if scanGap == nil { return }
            roundsWithGaps += 1
            if roundsWithGaps >= 3 { return }
        }
    }

    mutating func execute() -> [KillReport] {
        let started = ContinuousClock.now
        let first = scan()
        resolveRoots(in: first)
        // 1. Freeze the trees to a fixpoint: stopped processes cannot fork.
        let initial = admit(collectMembers(in: first), snapshot: first)
        send([SIGSTOP], to: initial)
        sweep(signals: [SIGSTOP])
        // 2. Ask politely, then let them run their handlers.
        let frozen = alivePIDs
        send(options.sendSIGHUP ? [SIGTERM, SIGHUP, SIGCONT] : [SIGTERM, SIGCONT], to: frozen)
        _ = wait(for: frozen, seconds: options.graceSeconds)
        // 3. Kill what is left, and anything born meanwhile, until a rescan finds nobody new:
        //    whole cgroups at once with cgroup.kill (then by pid whatever it left), other
        //    members one by one.
        for target in targets { target.lineage?.condemn() }
        let cgroupKilled = killCgroups()
        send([SIGKILL], to: alivePIDs.filter { members[$0]?.killSent == false })
        if !cgroupKilled.isEmpty {
            let leftByCgroupKill = wait(for: cgroupKilled, seconds: min(options.settleSeconds, 0.5))
            send([SIGKILL], to: leftByCgroupKill)
        }
        sweep(signals: [SIGKILL])
        // 4. Verify: every member gone, and a complete scan that finds nobody new; whatever
        //    is still there gets SIGKILL again until the settle time runs out.
        let deadline = ContinuousClock.Instant.after(seconds: options.settleSeconds)
        while true {
            let left = wait(for: alivePIDs, seconds: max(0, min((deadline - ContinuousClock.now).inSeconds, 0.25)))
            sweep(signals: [SIGKILL])
            if alivePIDs.isEmpty && scanGap == nil { break }
            if ContinuousClock.now >= deadline { break }
            send([SIGKILL], to: left)
        }
        if options.reapOwnChildren { reapOwnChildren() }
        // 5. Emptied cgroups are removed; whatever a cgroup still holds (protected pids
        //    aside) gets SIGKILL by pid, and what survives that too is a survivor.
        let leftovers = settleCgroups()
        let survivors = Set(alivePIDs)
        var problems: [String] = []
        if let scanGap { problems.append("the tree could not be verified gone: \(scanGap)") }
        let duration = (ContinuousClock.now - started).inSeconds
        return targets.indices.map { report(for: $0, survivors: survivors, leftovers: leftovers[$0] ?? [], problems: problems, duration: duration) }
    }

    /// Reaps members that are the caller's own children (through a verified pidfd each).
    func reapOwnChildren() {
        for pid in order {
            guard let member = members[pid], let handle = try? PidFD.open(member.identity) else { continue }
            handle.reapIfChild()
        }
    }

    func report(for target: Int, survivors: Set<Int32>, leftovers: [ProcessIdentity], problems: [String], duration: Double) -> KillReport {
        var processes: [KilledProcess] = []
        var survivorIDs: [ProcessIdentity] = []
        var targetProblems = problems
        for pid in order {
            guard let member = members[pid], member.target == target else { continue }
            let outcome: KillOutcome
            if survivors.contains(pid) {
                outcome = .survived
                survivorIDs.append(member.identity)
                if let failure = member.lastFailure { targetProblems.append(failure) }
            } else if member.signals.isEmpty || member.exitedBeforeSignal {
                outcome = .exited
            } else {
                outcome = member.killSent ? .killed : .terminated
            }
            processes.append(KilledProcess(identity: member.identity, comm: member.comm, reason: member.reason, signals: member.signals, outcome: outcome))
        }
        for identity in leftovers where !survivorIDs.contains(where: { $0.pid == identity.pid }) { survivorIDs.append(identity) }
        return KillReport(processes: processes, skipped: skippedList(for: target), survivors: survivorIDs, rescans: rescans, durationSeconds: duration, cgroup: cgroupResults[target], problems: targetProblems)
    }
}
