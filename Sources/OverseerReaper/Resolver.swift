import OverseerCgroup
import OverseerKill
import OverseerProcess
import OverseerRegistry

/// Turns a candidate's root claims into live, proven processes, using one snapshot.
///
/// Order: recorded identities that still match; else processes carrying the agent's
/// OVERSEER_AGENT_ID; else the members of the agent's own cgroup; else a `--agent-name NAME` command-line scan that must find one
/// coherent root (a single match with no matching ancestor).
/// Environments and command lines are read at most once per process per pass, however many
/// candidates are resolved.
final class Resolver {
    let snapshot: ProcessSnapshot
    let protected: Set<Int32>

    init(snapshot: ProcessSnapshot, protected: Set<Int32>) {
        self.snapshot = snapshot
        self.protected = protected
    }

    /// Live processes by the value of their OVERSEER_AGENT_ID (one environ read each).
    private lazy var markerCarriers: [String: [Int32]] = {
        var index: [String: [Int32]] = [:]
        for (pid, stat) in snapshot.processes where !stat.state.isExited {
            if let value = ProcessSnapshot.environValue(pid: pid, name: "OVERSEER_AGENT_ID") { index[value, default: []].append(pid) }
        }
        return index
    }()

    /// Live, unprotected processes' argv (one cmdline read each).
    private lazy var commandLines: [Int32: [String]] = {
        var lines: [Int32: [String]] = [:]
        for (pid, stat) in snapshot.processes where !stat.state.isExited && !protected.contains(pid) {
            if let argv = ProcessSnapshot.cmdline(of: pid) { lines[pid] = argv }
        }
        return lines
    }()

    func resolve(_ candidate: ReapCandidate) -> Resolution {
        var roots: [ProcessIdentity] = []
        var skipped: [SkippedProcess] = []
        for claim in candidate.roots {
            switch check(claim, name: candidate.name) {
            case .success(let identity): roots.append(identity)
            case .failure(let failure): if let skip = failure.skip { skipped.append(skip) }
            }
        }
        if !roots.isEmpty { return .roots(roots, skipped: skipped) }
        if let marker = candidate.marker {
            let identities = (markerCarriers[marker.value] ?? []).compactMap { snapshot.identity(of: $0) }
            if !identities.isEmpty { return .roots(identities, skipped: skipped) }
        }
        if let cgroup = candidate.cgroup {
            // Whatever still lives in the agent's own cgroup is its tree, marker or not.
            let members = ((try? cgroup.allProcesses()) ?? []).filter { !protected.contains($0) }
            let identities = members.compactMap { snapshot.identity(of: $0) }
            if !identities.isEmpty { return .roots(identities, skipped: skipped) }
        }
        switch nameScan(candidate.name) {
        case .none: return .gone(skipped: skipped)
        case .some(let matches) where matches.count == 1:
            return .roots(matches.compactMap { snapshot.identity(of: $0) }, skipped: skipped)
        case .some(let matches): return .ambiguous(matches.sorted())
        }
    }

    /// A claim proven against the snapshot, or the reason it was not (nil: simply gone).
    func check(_ claim: RootClaim, name: String) -> Result<ProcessIdentity, SkipFailure> {
        let pid = claim.pid
        guard let stat = snapshot[pid], !stat.state.isExited, let live = snapshot.identity(of: pid) else {
            return .failure(SkipFailure(nil))
        }
        let proven: Bool
        switch claim {
        case .identity(let identity): proven = identity == live
        case .lstart(_, let text): proven = LStart.matches(text, startTime: stat.startTime)
        case .bare: proven = Self.namesAgent(commandLines[pid] ?? [], name)
        }
        guard proven else {
            return .failure(SkipFailure(SkippedProcess(pid: pid, identity: live, comm: stat.comm, reason: .identityMismatch)))
        }
        return .success(live)
    }

    /// Processes whose argv carries `--agent-name NAME` (or `--agent-name=NAME`), reduced to
    /// those with no matching ancestor; nil when none match.
    func nameScan(_ name: String) -> [Int32]? {
        let matches = Set(commandLines.filter { Self.namesAgent($0.value, name) }.keys)
        guard !matches.isEmpty else { return nil }
        return matches.filter { pid in !snapshot.ancestors(of: pid).contains(where: matches.contains) }
    }

    /// Anchored token match: an argv element `--agent-name` followed by exactly NAME, or `--agent-name=NAME`.
    static func namesAgent(_ argv: [String], _ name: String) -> Bool {
        for (index, argument) in argv.enumerated() {
            if argument == "--agent-name=\(name)" { return true }
            if argument == "--agent-name", index + 1 < argv.count, argv[index + 1] == name { return true }
        }
        return false
    }
}

/// Why a claim was not accepted (nil: the process is simply gone).
struct SkipFailure: Error {
    let skip: SkippedProcess?
    init(_ skip: SkippedProcess?) { self.skip = skip }
}
