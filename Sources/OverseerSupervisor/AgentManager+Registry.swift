import Foundation
import Logging
import OverseerProcess
import OverseerRegistry

extension AgentManager {
    /// The entries this supervisor owns, as the registry should hold them now.
    func registryContribution() -> RegistryWriter.Contribution {
        mutate { state in
            var entries: [RegistryEntry] = []
            var persisted: Set<String> = []
            for record in state.agents.values where record.info.handoff != .consumed {
                let info = record.info
                let dispatch = info.dispatch.flatMap { state.dispatches[$0] }
                let entryState: EntryState = info.handoff != .none ? .dispatchFailed : (info.state == .releasing ? .releasing : .running)
                if info.handoff == .persisted { persisted.insert(info.id) }
                entries.append(RegistryEntry(
                    id: info.id, name: info.name, role: info.role ?? dispatch?.role, issue: dispatch?.issue,
                    sessionRef: dispatch?.sessionRef, dispatchID: info.dispatch, incarnation: info.incarnation,
                    state: entryState, roots: [info.identity], cgroup: info.cgroup, owner: identity,
                    createdAt: info.spawnedAt, updatedAt: info.exitedAt ?? info.spawnedAt, reapAttempts: 0, firstUnresolvedAt: nil
                ))
            }
            return RegistryWriter.Contribution(entries: entries.sorted { $0.createdAt < $1.createdAt }, persistedHandoffs: persisted, status: state.shuttingDown ? .stopping : .running)
        }
    }

    /// After a successful write: pending handoffs are now on disk; consumed ones are the reaper's doing.
    func registryWritten(handoffs: Set<String>, consumed: Set<String>) {
        mutate { state in
            for (name, record) in state.agents {
                if consumed.contains(record.info.id) {
                    state.agents[name]?.info.handoff = .consumed
                } else if record.info.handoff == .pending && handoffs.contains(record.info.id) {
                    state.agents[name]?.info.handoff = .persisted
                }
            }
        }
    }

    /// Writes the registry and waits for it; a failure is logged (and retried), not thrown.
    func persistRegistry() async {
        guard let registry else { return }
        try? await registry.flush()
    }

    /// Asks for a registry write without waiting.
    func registryChanged() {
        registry?.requestFlush()
    }
}
