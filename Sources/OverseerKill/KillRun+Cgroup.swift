import OverseerCgroup
import OverseerProcess
import OverseerSystem
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup side of a kill: one `cgroup.kill` per target cgroup instead of one SIGKILL per
/// pid (no fork can slip through it), then a wait until the cgroup is empty and its removal.
/// A cgroup holding a protected pid is never killed whole: its members are signalled one by
/// one like any other tree, and the cgroup stays.
extension KillRun {
    /// Writes `cgroup.kill` for every target cgroup that may be killed whole; returns the
    /// members that were alive in those cgroups (they get SIGKILL by pid if they outlive it).
    mutating func killCgroups() -> [Int32] {
        var killed: [Int32] = []
        for (index, target) in targets.enumerated() {
            guard let cgroup = target.cgroup else { continue }
            guard cgroup.exists else {
                cgroupResults[index] = CgroupKillResult(path: cgroup.path, killed: false, removed: true, note: "already gone")
                continue
            }
            let pids: [Int32]
            do {
                pids = try cgroup.allProcesses()
            } catch {
                cgroupResults[index] = CgroupKillResult(path: cgroup.path, killed: false, removed: false, note: "\(error); killed member by member")
                continue
            }
            if let guarded = pids.first(where: { protected.contains($0) }) {
                cgroupResults[index] = CgroupKillResult(path: cgroup.path, killed: false, removed: false, note: "protected pid \(guarded) inside; killed member by member")
                continue
            }
            // Who is alive now: they die the moment cgroup.kill is written.
            let alive = pids.filter { members[$0].map { !$0.gone } ?? false }
            do {
                try cgroup.kill()
            } catch {
                cgroupResults[index] = CgroupKillResult(path: cgroup.path, killed: false, removed: false, note: "\(error); killed member by member")
                continue
            }
            cgroupResults[index] = CgroupKillResult(path: cgroup.path, killed: true, removed: false)
            for pid in alive {
                guard var member = members[pid] else { continue }
                member.signals.append("cgroup.kill")
                member.killSent = true
                members[pid] = member
                killed.append(pid)
            }
        }
        return killed
    }

    /// Waits for each target cgroup to empty, SIGKILLs by pid (start-time verified) whatever
    /// is still inside (on some kernels `cgroup.kill` leaves a zombie leader with live threads
    /// alive), removes the empty ones, and returns, per target, the processes still inside
    /// (protected pids excepted).
    mutating func settleCgroups() -> [Int: [ProcessIdentity]] {
        var leftovers: [Int: [ProcessIdentity]] = [:]
        for (index, target) in targets.enumerated() {
            guard let cgroup = target.cgroup else { continue }
            var result = cgroupResults[index] ?? CgroupKillResult(path: cgroup.path, killed: false, removed: false)
            guard cgroup.exists else {
                result.removed = true
                cgroupResults[index] = result
                continue
            }
            let holdsProtected = ((try? cgroup.allProcesses()) ?? []).contains { protected.contains($0) }
            if !holdsProtected, !cgroup.waitUntilEmpty(timeoutSeconds: min(options.settleSeconds, 0.5)) {
                let remaining = killInside(cgroup)
                if !remaining.isEmpty {
                    leftovers[index] = remaining
                    result.note = "\(remaining.count) process(es) still inside"
                } else if cgroup.waitUntilEmpty(timeoutSeconds: options.settleSeconds) {
                    do {
                        try cgroup.remove()
                        result.removed = true
                    } catch {
                        result.note = "\(error)"
                    }
                } else {
                    result.note = "still populated after its processes were killed"
                }
            } else if !holdsProtected {
                do {
                    try cgroup.remove()
                    result.removed = true
                } catch {
                    result.note = "\(error)"
                }
            }
            cgroupResults[index] = result
        }
        return leftovers
    }

    /// SIGKILLs by pid every process still in `cgroup` (never a protected one), until it holds
    /// none that may be alive or the settle time passes; returns those that may still be.
    func killInside(_ cgroup: Cgroup) -> [ProcessIdentity] {
        let deadline = ContinuousClock.Instant.after(seconds: options.settleSeconds)
        while true {
            let pids: [Int32]
            do {
                pids = try cgroup.allProcesses().filter { !protected.contains($0) }
            } catch .missing {
                return []
            } catch {
                // Unreadable: whatever it holds is not verified gone.
                return members.values.filter { !$0.gone && $0.reason == .cgroup }.map(\.identity)
            }
            let inside = pids.compactMap { ProcessIdentity.current(pid: $0) }.filter { $0.presence().mayBeAlive }
            if inside.isEmpty { return [] }
            for identity in inside { _ = VerifiedSignal.send([SIGKILL], to: identity) }
            let left = VerifiedSignal.waitForExit(inside, timeoutSeconds: min(0.25, max(0, (deadline - ContinuousClock.now).inSeconds)))
            if left.isEmpty { continue }
            if ContinuousClock.now >= deadline { return left }
        }
    }
}
