import OverseerCgroup
import OverseerProcess

/// Who else a live process may belong to: what the reaper must never take for a candidate's.
///
/// A last-resort `--agent-name` match is refused when the process, or any of its ancestors,
/// is a live supervisor (`overseer serve`), carries another agent's `OVERSEER_AGENT_ID`, or
/// is a live root of another registry entry (an entry of a live supervisor above all: a
/// restarted supervisor's new agent of the same name), and when the process lives in another
/// agent's cgroup (`agents/<id>` with another id).
final class Ownership {
    let snapshot: ProcessSnapshot
    /// Live `overseer serve` processes (and the registry's live owners).
    let supervisors: Set<Int32>
    /// Live pids listed by registry entries → the index of the entry listing them.
    let listedRoots: [Int32: Int]
    /// Protected processes are nobody's agent: the ancestor walk stops at them.
    let protected: Set<Int32>
    let hierarchy: CgroupHierarchy?
    /// pid → its OVERSEER_AGENT_ID (one environ read each, shared with the resolver).
    private let markerOf: (Int32) -> String?

    init(snapshot: ProcessSnapshot, candidates: [ReapCandidate], supervisors: Set<Int32>, protected: Set<Int32>, hierarchy: CgroupHierarchy? = .current(), markerOf: @escaping (Int32) -> String?) {
        self.snapshot = snapshot
        self.protected = protected
        self.supervisors = supervisors
        self.hierarchy = hierarchy
        self.markerOf = markerOf
        var listed: [Int32: Int] = [:]
        for (index, candidate) in candidates.enumerated() {
            for claim in candidate.roots {
                guard let stat = snapshot[claim.pid], !stat.state.isExited else { continue }
                if case .identity(let identity) = claim, snapshot.identity(of: claim.pid) != identity { continue }
                // lstart and bare pids count even unproven: refusing on weak evidence is the safe side.
                if listed[claim.pid] == nil { listed[claim.pid] = index }
            }
        }
        listedRoots = listed
    }

    /// Why `pid` must not be taken for candidate number `index` (nil: nothing says it is another's).
    func refusal(of pid: Int32, forCandidate index: Int, _ candidate: ReapCandidate) -> ReapRefusal? {
        for current in [pid] + snapshot.ancestors(of: pid) where current > 1 {
            if supervisors.contains(current) { return .liveSupervisor }
            if let owner = listedRoots[current], owner != index { return .otherAgent }
            if protected.contains(current) { break }
            if let marker = markerOf(current), marker != candidate.id { return .otherAgent }
        }
        if let cgroup = hierarchy?.cgroup(of: pid), cgroup.parent?.name == "agents", cgroup.name != candidate.id {
            return .otherAgent
        }
        return nil
    }
}

/// Live `overseer serve` processes on this machine, found by their command line
/// (`overseer serve ...`; the executable's name starts with `overseer`).
enum LiveSupervisors {
    /// Every live supervisor in the snapshot except one inside a tree being reaped (it carries
    /// the marker of, or lives in the cgroup of, a reapable candidate: an agent ran it).
    static func find(in snapshot: ProcessSnapshot, reapable: [ReapCandidate], hierarchy: CgroupHierarchy? = .current()) -> Set<Int32> {
        let markers = Set(reapable.compactMap(\.id))
        let cgroups = Set(reapable.compactMap { $0.cgroup?.path })
        var found: Set<Int32> = []
        for (pid, stat) in snapshot.processes where !stat.state.isExited && !stat.isKernelThread && stat.comm.hasPrefix("overseer") {
            guard let argv = ProcessSnapshot.cmdline(of: pid), isSupervisor(argv: argv) else { continue }
            if let marker = ProcessSnapshot.environValue(pid: pid, name: "OVERSEER_AGENT_ID"), markers.contains(marker) { continue }
            if let cgroup = hierarchy?.cgroup(of: pid), cgroups.contains(cgroup.path) { continue }
            found.insert(pid)
        }
        return found
    }

    /// `overseer serve ...`: argv[0]'s basename starts with `overseer` and the subcommand is `serve`.
    static func isSupervisor(argv: [String]) -> Bool {
        guard argv.count >= 2, argv[1] == "serve" else { return false }
        let name = argv[0].split(separator: "/").last.map(String.init) ?? argv[0]
        return name.hasPrefix("overseer")
    }
}
