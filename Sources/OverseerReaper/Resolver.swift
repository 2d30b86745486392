import OverseerCgroup
import OverseerKill
import OverseerProcess
import OverseerRegistry

/// Turns a candidate's root claims into live, proven processes, using one snapshot.
///
/// Order: recorded identities that still match; else processes carrying the agent's
/// OVERSEER_AGENT_ID; else the members of the agent's own cgroup; else a `--agent-name NAME`
/// command-line scan that must find one coherent root (a single match with no matching
/// ancestor) that belongs to nobody else (see `Ownership`).
/// Protected pids and kernel threads are never taken, and a protected pid is reported as
/// `protected pid` whatever else is wrong with the claim.
/// Environments and command lines are read at most once per process per pass, however many
/// candidates are resolved.
final class Resolver {
    let snapshot: ProcessSnapshot
    let protected: Set<Int32>
    let candidates: [ReapCandidate]
    private(set) lazy var ownership = Ownership(snapshot: snapshot, candidates: candidates, supervisors: supervisors, protected: protected) { [unowned self] pid in marker(of: pid) }
    let supervisors: Set<Int32>

    init(snapshot: ProcessSnapshot, protected: Set<Int32>, candidates: [ReapCandidate] = [], supervisors: Set<Int32> = []) {
        self.snapshot = snapshot
        self.protected = protected
        self.candidates = candidates
        self.supervisors = supervisors
    }

    /// Live processes by the value of their OVERSEER_AGENT_ID (one environ read each).
    private lazy var markerCarriers: [String: [Int32]] = {
        var index: [String: [Int32]] = [:]
        for (pid, stat) in snapshot.processes where !stat.state.isExited && !stat.isKernelThread {
            if let value = marker(of: pid) { index[value, default: []].append(pid) }
        }
        return index
    }()

    /// pid → its OVERSEER_AGENT_ID (nil: none), read at most once per process.
    private var markers: [Int32: String?] = [:]

    func marker(of pid: Int32) -> String? {
        if let known = markers[pid] { return known }
        let value = ProcessSnapshot.environValue(pid: pid, name: "OVERSEER_AGENT_ID")
        markers[pid] = .some(value)
        return value
    }

    /// Live, unprotected processes' argv (one cmdline read each).
    private lazy var commandLines: [Int32: [String]] = {
        var lines: [Int32: [String]] = [:]
        for (pid, stat) in snapshot.processes where !stat.state.isExited && !stat.isKernelThread && !protected.contains(pid) {
            if let argv = ProcessSnapshot.cmdline(of: pid) { lines[pid] = argv }
        }
        return lines
    }()

    private var argvCache: [Int32: [String]] = [:]

    /// One process's argv, from the scan when it ran, else read once.
    func argv(of pid: Int32) -> [String] {
        if let cached = argvCache[pid] { return cached }
        let argv = ProcessSnapshot.cmdline(of: pid) ?? []
        argvCache[pid] = argv
        return argv
    }

    func resolve(_ candidate: ReapCandidate) -> Resolution {
        var roots: [ProcessIdentity] = []
        var skipped: [Refusal] = []
        for claim in candidate.roots {
            switch check(claim, name: candidate.name) {
            case .success(let identity): roots.append(identity)
            case .failure(let failure): if let refusal = failure.refusal { skipped.append(refusal) }
            }
        }
        if !roots.isEmpty { return .roots(roots, skipped: skipped) }
        if let marker = candidate.marker {
            let identities = (markerCarriers[marker.value] ?? []).filter { !protected.contains($0) }.compactMap { snapshot.identity(of: $0) }
            if !identities.isEmpty { return .roots(identities, skipped: skipped) }
        }
        if let cgroup = candidate.cgroup {
            // Whatever still lives in the agent's own cgroup is its tree, marker or not.
            let members = ((try? cgroup.allProcesses()) ?? []).filter { !protected.contains($0) && snapshot[$0]?.isKernelThread == false }
            let identities = members.compactMap { snapshot.identity(of: $0) }
            if !identities.isEmpty { return .roots(identities, skipped: skipped) }
        }
        let scan = nameScan(candidate)
        skipped += scan.refused
        switch scan.roots.count {
        case 0: return .gone(skipped: skipped)
        case 1: return .roots(scan.roots.compactMap { snapshot.identity(of: $0) }, skipped: skipped)
        default: return .ambiguous(scan.roots.sorted())
        }
    }

    /// A claim proven against the snapshot, or the reason it was not (nil: simply gone).
    func check(_ claim: RootClaim, name: String) -> Result<ProcessIdentity, SkipFailure> {
        let pid = claim.pid
        guard let stat = snapshot[pid], !stat.state.isExited, let live = snapshot.identity(of: pid) else {
            return .failure(SkipFailure(nil))
        }
        func refuse(_ reason: ReapRefusal) -> Result<ProcessIdentity, SkipFailure> {
            .failure(SkipFailure(Refusal(pid: pid, identity: live, comm: stat.comm, reason: reason)))
        }
        // Protected wins the report: a broker listed by mistake is `protected pid`, never a mismatch.
        if protected.contains(pid) { return refuse(.protectedPID) }
        if stat.isKernelThread { return refuse(.kernelThread) }
        let proven: Bool
        switch claim {
        case .identity(let identity): proven = identity == live
        case .lstart(_, let text, let cmdline):
            guard LStart.matches(text, startTime: stat.startTime) else { return refuse(.identityMismatch) }
            if let cmdline {
                proven = Self.sameCommandLine(recorded: cmdline, live: argv(of: pid))
            } else {
                proven = Self.namesAgent(argv(of: pid), name)
            }
        case .bare: proven = Self.namesAgent(argv(of: pid), name)
        }
        return proven ? .success(live) : refuse(.identityMismatch)
    }

    /// Processes whose argv carries `--agent-name NAME` (or `--agent-name=NAME`) and belong to
    /// nobody else, reduced to those with no such ancestor; plus the matches refused and why.
    func nameScan(_ candidate: ReapCandidate) -> (roots: [Int32], refused: [Refusal]) {
        let matches = commandLines.filter { Self.namesAgent($0.value, candidate.name) }.keys
        guard !matches.isEmpty else { return ([], []) }
        let index = candidates.firstIndex { $0.name == candidate.name && $0.id == candidate.id && $0.incarnation == candidate.incarnation } ?? -1
        var accepted: Set<Int32> = []
        var refused: [Refusal] = []
        for pid in matches.sorted() {
            if let reason = ownership.refusal(of: pid, forCandidate: index, candidate) {
                refused.append(Refusal(pid: pid, identity: snapshot.identity(of: pid), comm: snapshot[pid]?.comm, reason: reason))
            } else {
                accepted.insert(pid)
            }
        }
        let roots = accepted.filter { pid in !snapshot.ancestors(of: pid).contains(where: accepted.contains) }
        return (Array(roots), refused)
    }

    /// After a kill: the candidate's `--agent-name` matches of this pass's scan that still run
    /// (the kill engine's last sweep already covered its roots, marker carriers and cgroup).
    /// Empty: the tree is seen gone. More than one unrelated match is ambiguous, as before a kill.
    func leftovers(of candidate: ReapCandidate) -> Resolution {
        let scan = nameScan(candidate)
        let alive = scan.roots.compactMap { pid in snapshot.identity(of: pid).flatMap { $0.liveness() == .alive ? $0 : nil } }
        switch alive.count {
        case 0: return .gone(skipped: [])
        case 1: return .roots(alive, skipped: [])
        default: return .ambiguous(alive.map(\.pid).sorted())
        }
    }

    /// Anchored token match: an argv element `--agent-name` followed by exactly NAME, or `--agent-name=NAME`.
    static func namesAgent(_ argv: [String], _ name: String) -> Bool {
        for (index, argument) in argv.enumerated() {
            if argument == "--agent-name=\(name)" { return true }
            if argument == "--agent-name", index + 1 < argv.count, argv[index + 1] == name { return true }
        }
        return false
    }

    /// Whether a recorded command line (argv, or `ps -o args=` text split on whitespace) is
    /// the live one, word for word. An empty record matches nothing.
    static func sameCommandLine(recorded: [String], live: [String]) -> Bool {
        let words = recorded.flatMap { $0.split(whereSeparator: \.isWhitespace) }
        guard !words.isEmpty else { return false }
        return words.elementsEqual(live.flatMap { $0.split(whereSeparator: \.isWhitespace) })
    }
}

/// Why a claim was not accepted (nil: the process is simply gone).
struct SkipFailure: Error {
    let refusal: Refusal?
    init(_ refusal: Refusal?) { self.refusal = refusal }
}
