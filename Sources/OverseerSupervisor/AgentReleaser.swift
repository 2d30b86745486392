import Logging
import OverseerCgroup
import OverseerKill
import OverseerLineage
import OverseerProcess
import OverseerPTY
import OverseerWire

/// Release: kills agents' whole trees (identity-verified, zero survivors), closes their
/// terminals and forgets them. Many agents go in one kill-engine run, sharing its /proc
/// scans and grace period (shutdown releases everything at once).
struct AgentReleaser: Sendable {
    let live: LiveSettings
    let table: AgentTable
    let roots: RootProcesses
    let lineage: LineageTracker?
    let blocking: BlockingWork
    let deliveries: DeliveryEngine?
    let registry: RegistryWriter?
    let events: EventHub
    let metrics: SupervisorMetrics
    let logger: Logger

    /// Releases one agent; a second release while one runs is refused (`agentBusy`).
    func release(_ name: String) async throws(SupervisorError) -> (AgentInfo, KillReport) {
        let info = try await table.claimForRelease(name)
        let reports = try await release([info])
        return (info, reports[0])
    }

    /// Releases agents already claimed for release, in one kill-engine run; one report per agent.
    /// The registry is rewritten without them (unless `persisting` is false); when that write
    /// fails the release still happened, and `notPersisted` says so.
    func release(_ agents: [AgentInfo], persisting: Bool = true) async throws(SupervisorError) -> [KillReport] {
        guard !agents.isEmpty else { return [] }
        let engine = killEngine()
        let targets = agents.map(killTarget)
        let reports: [KillReport]
        do {
            reports = try await blocking.run { engine.kill(targets) }
        } catch {
            for info in agents { await table.abortRelease(info) }
            throw .shuttingDown
        }
        // Only a tree verified gone is forgotten. An unfinished release keeps the agent listed
        // (and in the registry, for the reaper) with its survivors; releasing it again retries.
        for (info, report) in zip(agents, reports) {
            await recordRootExit(of: info, report: report)
            if report.clean {
                roots.retire(pid: info.pid, name: info.name, incarnation: info.incarnation)
                lineage?.forget(agent: info.id)
                await table.remove(info.name, incarnation: info.incarnation)?.terminal?.close()
            } else {
                await table.releaseUnfinished(info, UnfinishedRelease(survivors: report.survivors, problems: report.problems))
            }
        }
        var unrecorded: (any Error)?
        if persisting, let registry {
            do { try await registry.flush() } catch { unrecorded = error }
        }
        for (info, report) in zip(agents, reports) {
            if report.clean { await deliveries?.agentGone(info.name, incarnation: info.incarnation) }
            countSignals(report)
            metrics.releases.increment()
            let level: Logger.Level = report.clean ? .info : .error
            logger.log(level: level, "agent released", metadata: [
                "agent": "\(info.name)", "killed": "\(report.processes.count)", "survivors": "\(report.survivors.count)",
                "skipped": "\(report.skipped.count)", "seconds": "\(report.durationSeconds)",
                "problems": "\(report.problems.joined(separator: "; "))", "finished": "\(report.clean)",
                "cgroup": "\(report.cgroup.map(Self.describe) ?? "none")",
            ])
            events.publish {
                AgentEvent(sequence: $0, type: .agentReleased, agent: info.name, agentID: info.id, incarnation: info.incarnation, pid: info.pid, time: epochNow(), killed: report.processes.count, survivors: report.survivors.count)
            }
        }
        if let unrecorded, let registry {
            let names = agents.map(\.name).joined(separator: ", ")
            let survivors = reports.reduce(0) { $0 + $1.survivors.count }
            throw .notPersisted("released \(names) (\(survivors) survivor(s)), but the registry could not be updated (\(Supervisor.describe(unrecorded))); "
                + "their entries stay in \(registry.path) until a write succeeds")
        }
        return reports
    }

    /// Records how the root ended (publishing `agent_exited`) before the release is reported:
    /// the kill made it a zombie, and the child-exit watcher reaps it moments later, while
    /// the exit stream's consumer may not have run yet (or at all, during shutdown). A root
    /// that survived the kill has no exit to record, and none is invented; one whose exit was
    /// recorded before the release was claimed needs nothing.
    private func recordRootExit(of info: AgentInfo, report: KillReport) async {
        let rootAlive = report.survivors.contains { $0.pid == info.pid } || report.skipped.contains { $0.pid == info.pid && $0.reason == .protectedPID }
        guard info.exit == nil, !rootAlive, let status = await roots.finalExit(pid: info.pid, incarnation: info.incarnation, timeout: Self.rootExitWait) else { return }
        let exit = AgentExit(name: info.name, incarnation: info.incarnation, pid: info.pid, status: status)
        if await table.recordExit(exit, at: epochNow(), events: events) != nil {
            logger.info("agent exited", metadata: ["agent": "\(info.name)", "pid": "\(info.pid)", "status": "\(status)"])
        }
    }

    /// How long a release waits for the watcher to reap a root the kill engine saw end.
    static let rootExitWait: Duration = .seconds(5)

    /// The agent's tree as the kill engine would see it now (nothing is signalled).
    func tree(of info: AgentInfo) async -> [AgentView.TreeProcess] {
        let engine = killEngine()
        let target = killTarget(for: info)
        let members = (try? await blocking.run { Self.describeTree(engine.plan(target).members) }) ?? []
        return members
    }

    /// The agent's tree as the kill engine sees it: its root, its marker and its cgroup. The
    /// tree view and release use this one definition.
    func killTarget(for info: AgentInfo) -> KillTarget {
        KillTarget(roots: [info.identity], marker: EnvironmentMarker(name: AgentEnvironment.agentIDVariable, value: info.id), cgroup: info.cgroup.map { Cgroup(path: $0) }, lineage: lineage?.source(for: info.id))
    }

    func killEngine() -> KillEngine {
        let settings = live.current
        let pidfilePIDs = ProtectedPIDs.fromPidfiles(settings.protectedPidfiles).pids
        let protected = Set(settings.protectedPIDs).union(pidfilePIDs)
        return KillEngine(options: KillOptions(graceSeconds: settings.killGraceSeconds, protected: protected, reapOwnChildren: false))
    }

    static func describeTree(_ members: [(ProcStat, MembershipReason)]) -> [AgentView.TreeProcess] {
        members.map { stat, _ in
            AgentView.TreeProcess(pid: stat.pid, ppid: stat.ppid, startTime: stat.startTime, state: stat.state.rawValue, comm: stat.comm, cmdline: ProcessSnapshot.cmdline(of: stat.pid) ?? [])
        }.sorted { $0.pid < $1.pid }
    }

    /// One phrase for logs: "PATH: cgroup.kill, removed" and the like.
    static func describe(_ result: CgroupKillResult) -> String {
        var parts = [result.killed ? "cgroup.kill" : "not killed whole"]
        parts.append(result.removed ? "removed" : "kept")
        if let note = result.note { parts.append(note) }
        return "\(result.path): " + parts.joined(separator: ", ")
    }

    private func countSignals(_ report: KillReport) {
        var counts: [String: Int] = [:]
        for process in report.processes {
            for signal in process.signals { counts[signal, default: 0] += 1 }
        }
        for (signal, count) in counts { metrics.signalSent(signal, count: count) }
    }
}
