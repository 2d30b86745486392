import Foundation
import Logging
import OverseerKill
import OverseerProcess
import OverseerRegistry
import OverseerSystem

/// Settings of one reap pass.
public struct ReapOptions: Sendable {
    public var registryPath: String
    /// A factory-sdk heartbeat file (overrides the registry's own `heartbeatPath`).
    public var heartbeatPath: String?
    public var staleAfterSeconds: Double
    public var unresolvedTTLSeconds: Double
    public var protectedPIDs: [Int32]
    public var protectedPidfiles: [String]
    public var graceSeconds: Double
    public var dryRun: Bool
    /// How long to wait for another reaper (or the supervisor) holding a lock.
    public var lockTimeoutSeconds: Double

    public init(registryPath: String, heartbeatPath: String? = nil, staleAfterSeconds: Double = 60, unresolvedTTLSeconds: Double = 300, protectedPIDs: [Int32] = [], protectedPidfiles: [String] = [], graceSeconds: Double = 5, dryRun: Bool = false, lockTimeoutSeconds: Double = 120) {
        self.registryPath = registryPath
        self.heartbeatPath = heartbeatPath
        self.staleAfterSeconds = staleAfterSeconds
        self.unresolvedTTLSeconds = unresolvedTTLSeconds
        self.protectedPIDs = protectedPIDs
        self.protectedPidfiles = protectedPidfiles
        self.graceSeconds = graceSeconds
        self.dryRun = dryRun
        self.lockTimeoutSeconds = lockTimeoutSeconds
    }
}

/// Why a pass could not run at all.
public enum ReapError: Error, CustomStringConvertible {
    /// The registry was refused (untrusted, corrupt — moved aside —, or of an unknown shape).
    case refused(String)
    case failed(String)

    public var description: String {
        switch self {
        case .refused(let message), .failed(let message): message
        }
    }
}

/// `overseer reap`: one pass over the in-flight registry. Safe to run at any time, any
/// number of times, concurrently with the supervisor and with itself (reapers exclude each
/// other with a lock; registry changes are read-modify-write under the registry's lock).
public struct Reaper: Sendable {
    public let options: ReapOptions
    let logger: Logger

    public init(options: ReapOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// One pass. A dry run takes no lock (locking creates the lock files and their directory):
    /// it reads the registry as it is at that moment, and its report says so.
    public func run() throws(ReapError) -> ReapReport {
        let started = ContinuousClock.now
        let store = RegistryStore(path: options.registryPath)
        let passLock = RegistryStore(path: options.registryPath + ".reap")
        do {
            return try locking(passLock) {
                var report = try pass(store: store)
                report.durationSeconds = (ContinuousClock.now - started).inSeconds
                return report
            }
        } catch let error as ReapError {
            throw error
        } catch let error as RegistryError {
            throw Self.map(error)
        } catch {
            throw .failed("\(error)")
        }
    }

    static func map(_ error: RegistryError) -> ReapError {
        switch error {
        case .untrusted, .corrupt, .corruptLeftInPlace, .unsupportedVersion: .refused(error.description)
        default: .failed(error.description)
        }
    }

    /// Runs `body` under `store`'s lock, or without any lock in a dry run.
    func locking<T>(_ store: RegistryStore, _ body: () throws -> T) throws -> T {
        if options.dryRun { return try body() }
        return try store.withLock(timeout: options.lockTimeoutSeconds, body)
    }

    func pass(store: RegistryStore) throws -> ReapReport {
        let now = Date().timeIntervalSince1970
        let moveAside = !options.dryRun
        guard let raw = try locking(store, { try store.loadRaw() }) else {
            logger.warning("no registry", metadata: ["path": "\(options.registryPath)"])
            return ReapReport(registry: options.registryPath, format: "none", dryRun: options.dryRun)
        }
        let candidates: [ReapCandidate]
        let ownerPIDs: Set<Int32>
        let format = RegistryFormat.detect(raw)
        switch format {
        case .overseer:
            guard let document = try locking(store, { try store.load(movingCorruptAside: moveAside) }) else {
                return ReapReport(registry: options.registryPath, format: "overseer", dryRun: options.dryRun)
            }
            (candidates, ownerPIDs) = OverseerCandidates.from(document, staleAfter: options.staleAfterSeconds, now: now)
        case .factory:
            let registry = try FactoryRegistry.decode(raw, path: options.registryPath, movingCorruptAside: moveAside)
            let heartbeatPath = options.heartbeatPath ?? registry.heartbeatPath
            let heartbeat = try heartbeatPath.flatMap { path in try RegistryStore(path: path).loadRaw().flatMap { try? FactoryHeartbeat.decode($0) } }
            (candidates, ownerPIDs) = FactoryCandidates.from(registry, heartbeat: heartbeat, staleAfter: options.staleAfterSeconds, now: now)
        case .unknown:
            // Not a shape we know: loading it as ours moves it aside (corrupt, unless this is a
            // dry run) and reports why.
            _ = try locking(store) { try store.load(movingCorruptAside: moveAside) }
            throw ReapError.refused("registry \(options.registryPath): neither an Overseer nor a factory registry")
        }
        var report = ReapReport(registry: options.registryPath, format: format == .overseer ? "overseer" : "factory", dryRun: options.dryRun)
        let outcomes = act(on: candidates, ownerPIDs: ownerPIDs, report: &report)
        if format == .overseer && !options.dryRun {
            try consume(outcomes, store: store, now: now, report: &report)
        } else {
            for (candidate, outcome) in outcomes {
                if case .unresolved(let reason) = outcome { report.unresolved.append(ReapUnresolved(agent: candidate.name, reason: reason, attempts: 1)) }
            }
        }
        return report
    }

    /// Everything never to be signalled in this pass: configured pids and pidfiles, the
    /// registry's live owners, the reaper and its ancestors, and every live supervisor.
    func protectedSet(ownerPIDs: Set<Int32>, supervisors: Set<Int32>) -> Set<Int32> {
        let pidfiles = ProtectedPIDs.fromPidfiles(options.protectedPidfiles)
        for problem in pidfiles.problems { logger.warning("\(problem)") }
        return Set(options.protectedPIDs).union(pidfiles.pids).union(ownerPIDs).union(supervisors).union(ProtectedPIDs.callerAndAncestors())
    }

    /// Resolves and kills (or plans) each reapable candidate.
    func act(on candidates: [ReapCandidate], ownerPIDs: Set<Int32>, report: inout ReapReport) -> [(ReapCandidate, Outcome)] {
        let snapshot = ProcessSnapshot.capture()
        let supervisors = LiveSupervisors.find(in: snapshot, reapable: candidates.filter(\.reapable)).union(ownerPIDs)
        let protected = protectedSet(ownerPIDs: ownerPIDs, supervisors: supervisors)
        let resolver = Resolver(snapshot: snapshot, protected: protected, candidates: candidates, supervisors: supervisors)
        // Kernel threads are never signalled, whatever reaches the engine.
        let kernelThreads = Set(snapshot.processes.values.filter(\.isKernelThread).map(\.pid))
        let engine = KillEngine(options: KillOptions(graceSeconds: options.graceSeconds, protected: protected.union(kernelThreads), reapOwnChildren: true))
        var work: [(ReapCandidate, KillTarget)] = []
        var outcomes: [(ReapCandidate, Outcome)] = []
        for candidate in candidates {
            guard candidate.reapable else {
                report.skipped.append(ReapSkip(agent: candidate.name, pid: nil, reason: candidate.leftAloneReason ?? "not reapable"))
                logger.info("left alone", metadata: ["agent": "\(candidate.name)", "reason": "\(candidate.leftAloneReason ?? "")"])
                continue
            }
            switch resolver.resolve(candidate) {
            case .roots(let roots, let skipped):
                record(skipped, agent: candidate.name, into: &report)
                work.append((candidate, KillTarget(roots: roots, marker: candidate.marker, cgroup: candidate.cgroup)))
            case .gone(let skipped):
                record(skipped, agent: candidate.name, into: &report)
                logger.info("tree already gone", metadata: ["agent": "\(candidate.name)"])
                if !options.dryRun, let cgroup = candidate.cgroup, cgroup.exists, (try? cgroup.isPopulated()) == false {
                    try? cgroup.remove() // emptied, but left behind by a supervisor that died
                }
                outcomes.append((candidate, .gone))
            case .ambiguous(let pids):
                outcomes.append((candidate, .unresolved(ambiguity(candidate, pids))))
            }
        }
        if options.dryRun {
            for (candidate, target) in work {
                let plan = engine.plan(target)
                report.plan[candidate.name] = plan.members.map(\.0.pid).sorted()
                record(plan.skipped, agent: candidate.name, into: &report)
                logger.info("would reap", metadata: ["agent": "\(candidate.name)", "pids": "\(report.plan[candidate.name] ?? [])"])
            }
            return outcomes
        }
        let reports = engine.kill(work.map(\.1))
        for ((candidate, _), kill) in zip(work, reports) {
            for process in kill.processes {
                report.reaped.append(ReapedProcess(agent: candidate.name, pid: process.identity.pid, identity: process.identity, comm: process.comm, signals: process.signals, outcome: process.outcome))
                logger.notice("reaped", metadata: ["agent": "\(candidate.name)", "pid": "\(process.identity.pid)", "comm": "\(process.comm)", "signals": "\(process.signals.joined(separator: ","))", "outcome": "\(process.outcome.rawValue)"])
            }
            record(kill.skipped, agent: candidate.name, into: &report)
            if let cgroup = kill.cgroup {
                report.cgroups.append(ReapCgroup(agent: candidate.name, result: cgroup))
                logger.notice("cgroup", metadata: [
                    "agent": "\(candidate.name)", "path": "\(cgroup.path)", "cgroup.kill": "\(cgroup.killed)",
                    "removed": "\(cgroup.removed)", "note": "\(cgroup.note ?? "")",
                ])
            }
            var survivors = kill.survivors
            if kill.clean {
                // Seen gone only when nothing the pass can attribute to the agent still runs.
                switch resolver.leftovers(of: candidate) {
                case .roots(let left, _): survivors += left.filter { identity in !survivors.contains(identity) }
                case .ambiguous(let pids):
                    outcomes.append((candidate, .unresolved(ambiguity(candidate, pids))))
                    continue
                case .gone: break
                }
            }
            for survivor in survivors {
                report.survivors.append(ReapSurvivor(agent: candidate.name, identity: survivor))
                logger.error("survivor", metadata: ["agent": "\(candidate.name)", "pid": "\(survivor.pid)"])
            }
            // Only what the engine proved part of the tree becomes a root; a name match is found again by name.
            outcomes.append((candidate, survivors.isEmpty ? .reaped : .survivors(kill.survivors)))
        }
        return outcomes
    }

    func ambiguity(_ candidate: ReapCandidate, _ pids: [Int32]) -> String {
        let reason = "ambiguous: \(pids.count) unrelated processes carry --agent-name \(candidate.name) (\(pids.map(String.init).joined(separator: ",")))"
        logger.warning("not reaped", metadata: ["agent": "\(candidate.name)", "reason": "\(reason)"])
        return reason
    }

    func record(_ skipped: [SkippedProcess], agent: String, into report: inout ReapReport) {
        for skip in skipped { record(pid: skip.pid, reason: skip.reason.rawValue, agent: agent, into: &report) }
    }

    func record(_ refused: [Refusal], agent: String, into report: inout ReapReport) {
        for refusal in refused { record(pid: refusal.pid, reason: refusal.reason.rawValue, agent: agent, into: &report) }
    }

    /// One skip line per (agent, pid): the first reason given wins (the resolver's, protected first).
    func record(pid: Int32, reason: String, agent: String, into report: inout ReapReport) {
        guard !report.skipped.contains(where: { $0.agent == agent && $0.pid == pid }) else { return }
        report.skipped.append(ReapSkip(agent: agent, pid: pid, reason: reason))
        logger.notice("skipped", metadata: ["agent": "\(agent)", "pid": "\(pid)", "reason": "\(reason)"])
    }

    /// Re-reads the registry under its lock and removes exactly the entries whose trees are
    /// verified gone; counts attempts on the rest, dropping unresolved ones past their TTL.
    func consume(_ outcomes: [(ReapCandidate, Outcome)], store: RegistryStore, now: Double, report: inout ReapReport) throws {
        guard !outcomes.isEmpty else { return }
        var consumed: [String] = []
        var dropped: [String] = []
        var unresolved: [ReapUnresolved] = []
        let ttl = options.unresolvedTTLSeconds
        _ = try store.update(timeout: options.lockTimeoutSeconds) { document in
            for (candidate, outcome) in outcomes {
                guard let index = document.agents.firstIndex(where: { $0.id == candidate.id && $0.incarnation == candidate.incarnation }) else { continue }
                switch outcome {
                case .reaped, .gone:
                    document.agents.remove(at: index)
                    consumed.append(candidate.name)
                case .survivors(let survivors):
                    // Kept, with what survived as roots: the next pass looks for exactly those
                    // even when they carry no marker and live in no cgroup.
                    document.agents[index].reapAttempts += 1
                    for survivor in survivors where !document.agents[index].roots.contains(survivor) {
                        document.agents[index].roots.append(survivor)
                    }
                case .unresolved(let reason):
                    document.agents[index].reapAttempts += 1
                    let first = document.agents[index].firstUnresolvedAt ?? now
                    document.agents[index].firstUnresolvedAt = first
                    if now - first > ttl {
                        document.agents.remove(at: index)
                        dropped.append(candidate.name)
                    } else {
                        unresolved.append(ReapUnresolved(agent: candidate.name, reason: reason, attempts: document.agents[index].reapAttempts))
                    }
                }
            }
            document.updatedAt = now
        }
        for name in dropped { logger.warning("dropped unresolved entry after its TTL", metadata: ["agent": "\(name)", "ttl_seconds": "\(ttl)"]) }
        report.consumed = consumed
        report.dropped = dropped
        report.unresolved = unresolved
    }

    enum Outcome {
        case reaped, gone
        case survivors([ProcessIdentity])
        case unresolved(String)
    }
}
