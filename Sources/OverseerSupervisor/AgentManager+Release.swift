import Logging
import OverseerCgroup
import OverseerKill
import OverseerProcess
import OverseerPTY

extension AgentManager {
    /// Kills the agent's whole tree (identity-verified, zero survivors), closes its terminal
    /// and forgets it. Returns the kill engine's report.
    public func release(name: String) async throws(AgentError) -> ReleaseResult {
        let claimed: AgentInfo? = mutate { state in
            guard var record = state.agents[name], record.info.state != .releasing else { return nil }
            record.info.state = .releasing
            state.agents[name] = record
            return record.info
        }
        guard let info = claimed else {
            _ = try record(name) // not found → 404
            throw .busy(name)
        }
        let target = killTarget(for: info)
        let engine = killEngine()
        let report: KillReport
        do {
            report = try await blocking.runIfActive { engine.kill(target) }
        } catch {
            mutate { $0.agents[name]?.info.state = info.exit == nil ? .running : .exited }
            throw .shuttingDown
        }
        let terminal = mutate { state -> AgentTerminal? in
            let record = state.agents.removeValue(forKey: name)
            if state.pidIndex[info.pid] == name {
                state.pidIndex[info.pid] = nil
                if state.retiredRoots.count >= 4096 { state.retiredRoots.removeAll() }
                state.retiredRoots[info.pid] = name
            }
            return record?.terminal
        }
        await terminal?.close()
        await persistRegistry()
        await deliveries?.agentGone(name, incarnation: info.incarnation)
        record(report)
        metrics.releases.increment()
        updateRunningGauge()
        let level: Logger.Level = report.clean ? .info : .error
        logger.log(level: level, "agent released", metadata: [
            "agent": "\(name)", "killed": "\(report.processes.count)", "survivors": "\(report.survivors.count)",
            "skipped": "\(report.skipped.count)", "seconds": "\(report.durationSeconds)",
            "cgroup": "\(report.cgroup.map(Self.describe) ?? "none")",
        ])
        events.publish {
            AgentEvent(sequence: $0, type: .agentReleased, agent: name, agentID: info.id, incarnation: info.incarnation, pid: info.pid, time: epochNow(), exit: nil, killed: report.processes.count, survivors: report.survivors.count)
        }
        return ReleaseResult(agent: name, incarnation: info.incarnation, report: report)
    }

    /// One phrase for logs: "PATH: cgroup.kill, removed" and the like.
    static func describe(_ result: CgroupKillResult) -> String {
        var parts = [result.killed ? "cgroup.kill" : "not killed whole"]
        parts.append(result.removed ? "removed" : "kept")
        if let note = result.note { parts.append(note) }
        return "\(result.path): " + parts.joined(separator: ", ")
    }

    private func record(_ report: KillReport) {
        var counts: [String: Int] = [:]
        for process in report.processes {
            for signal in process.signals { counts[signal, default: 0] += 1 }
        }
        for (signal, count) in counts { metrics.signalSent(signal, count: count) }
    }

    /// Refuses new spawns, ends event streams and wakes long-polling output readers, so the
    /// HTTP server can drain while agents are still being handled.
    public func beginShutdown() {
        let rings = mutate { state -> [OutputRing] in
            state.shuttingDown = true
            return state.agents.values.map(\.ring)
        }
        for ring in rings { ring.wakeWaiters() }
        events.finishAll()
        registryChanged() // status: stopping
    }

    /// Applies the shutdown policy: release every agent (default) or leave them for the reaper.
    /// New spawns are refused from here on.
    public func shutdown() async {
        // In-flight injections finish; the pending set stays in the store for the next start.
        await deliveries?.stop()
        // Handed-off agents belong to the reaper now: never released here, entries kept.
        let names = mutate { state -> [String] in
            state.shuttingDown = true
            return state.agents.values.filter { $0.info.handoff == .none }.map(\.info.name)
        }
        if settings.releaseOnShutdown {
            await withTaskGroup(of: Void.self) { group in
                for name in names {
                    group.addTask { _ = try? await self.release(name: name) }
                }
            }
        } else if !names.isEmpty {
            logger.notice("leaving agents running for the reaper", metadata: ["agents": "\(names.joined(separator: ","))"])
        }
        events.finishAll()
        await persistRegistry()
        try? await blocking.shutdownGracefully()
    }
}
