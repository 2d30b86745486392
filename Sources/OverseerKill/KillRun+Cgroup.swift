import OverseerCgroup
import OverseerProcess

/// The cgroup side of a kill: one `cgroup.kill` per target cgroup instead of one SIGKILL per
/// pid (no fork can slip through it), then a wait until the cgroup is empty and its removal.
/// A cgroup holding a protected pid is never killed whole: its members are signalled one by
/// one like any other tree, and the cgroup stays.
extension KillRun {
    mutating func killCgroups() {
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
            let alive = pids.filter { members[$0].map { !$0.handle.hasExited } ?? false }
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
            }
        }
    }

    /// Waits for each target cgroup to empty, removes the empty ones, and returns, per target,
    /// the processes still inside (protected pids excepted).
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
            if !holdsProtected, !cgroup.waitUntilEmpty(timeoutSeconds: options.settleSeconds) {
                let remaining = ((try? cgroup.allProcesses()) ?? []).filter { !protected.contains($0) }
                leftovers[index] = remaining.compactMap { ProcessIdentity.current(pid: $0) }
                result.note = "\(remaining.count) process(es) still inside"
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
}
