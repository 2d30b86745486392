import Synchronization

/// The exit of an agent's root process, for the incarnation it belonged to.
struct AgentExit: Sendable {
    var name: String
    var incarnation: String
    var pid: Int32
    var status: ExitStatus
}

/// Which pids are agents' root processes, for the child-exit watcher, which must decide on
/// its own thread and at once (under the spawn lock) whether an exited child was ours.
///
/// A root is registered under the spawn lock as soon as it is spawned and turns `tracked`
/// once its agent is in the table; an exit that arrives before that is held and passed on at
/// that moment, so the table never hears of an exit before the agent. Exits go out on
/// `exits`, in order. A released incarnation's root is retired: its late exit notice is
/// counted as stale and never attributed to a successor.
///
/// A root's exit is kept (`exited`) until its incarnation is released, so a release can
/// always learn how the root ended (`finalExit`) and record it before it reports the
/// release: `agent_exited` then never depends on the exit stream's consumer being first.
final class RootProcesses: Sendable {
    private enum Root {
        case spawning(name: String, incarnation: String, exit: ExitStatus?)
        case tracked(name: String, incarnation: String)
        /// Reaped; kept until the incarnation is retired (the pid may be reused meanwhile).
        case exited(incarnation: String, status: ExitStatus)

        var incarnation: String {
            switch self {
            case .spawning(_, let incarnation, _), .tracked(_, let incarnation), .exited(let incarnation, _): incarnation
            }
        }
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<ExitStatus?, Never>
    }

    private struct State {
        var roots: [Int32: Root] = [:]
        /// Releases waiting for a root's exit (pid → waiters), resumed by `childExited`.
        var waiters: [Int32: [Waiter]] = [:]
        var nextWaiter: UInt64 = 0
        /// Root pids of released incarnations whose exit may still be reported (pid → name).
        var retired: [Int32: String] = [:]
    }

    private let state = Mutex(State())
    let exits: AsyncStream<AgentExit>
    private let continuation: AsyncStream<AgentExit>.Continuation
    private let metrics: SupervisorMetrics

    init(metrics: SupervisorMetrics) {
        (exits, continuation) = AsyncStream.makeStream()
        self.metrics = metrics
    }

    /// A root was just spawned (call under the spawn lock).
    func register(pid: Int32, name: String, incarnation: String) {
        state.withLock { $0.roots[pid] = .spawning(name: name, incarnation: incarnation, exit: nil) }
    }

    /// Its agent is in the table now: an exit held meanwhile goes out.
    func tracked(pid: Int32) {
        let held: AgentExit? = state.withLock { state in
            guard case .spawning(let name, let incarnation, let exit)? = state.roots[pid] else { return nil }
            guard let exit else {
                state.roots[pid] = .tracked(name: name, incarnation: incarnation)
                return nil
            }
            state.roots[pid] = .exited(incarnation: incarnation, status: exit)
            return AgentExit(name: name, incarnation: incarnation, pid: pid, status: exit)
        }
        if let held { continuation.yield(held) }
    }

    /// The spawn failed after all: forget the root.
    func forget(pid: Int32) {
        let waiting = state.withLock { state in
            state.roots.removeValue(forKey: pid)
            return state.waiters.removeValue(forKey: pid) ?? []
        }
        for waiter in waiting { waiter.continuation.resume(returning: nil) }
    }

    /// How the root ended, once the watcher has reaped it: at once when it already has,
    /// else when it does, or nil after `timeout` (a root the kill engine could not end) or
    /// for a pid that is not an agent's root.
    func finalExit(pid: Int32, incarnation: String, timeout: Duration) async -> ExitStatus? {
        enum Found { case known(ExitStatus?), waiting(UInt64) }
        return await withCheckedContinuation { (continuation: CheckedContinuation<ExitStatus?, Never>) in
            let found: Found = state.withLock { state in
                guard state.roots[pid]?.incarnation == incarnation else { return .known(nil) }
                switch state.roots[pid] {
                case .exited(_, let status)?: return .known(status)
                case .spawning(_, _, let status?)?: return .known(status)
                case .spawning?, .tracked?:
                    state.nextWaiter += 1
                    state.waiters[pid, default: []].append(Waiter(id: state.nextWaiter, continuation: continuation))
                    return .waiting(state.nextWaiter)
                case nil: return .known(nil)
                }
            }
            switch found {
            case .known(let status):
                continuation.resume(returning: status)
            case .waiting(let id):
                Task { [self] in
                    try? await Task.sleep(for: timeout)
                    expire(pid: pid, waiter: id)
                }
            }
        }
    }

    /// A release waited long enough: it goes on without the root's exit.
    private func expire(pid: Int32, waiter id: UInt64) {
        let expired: Waiter? = state.withLock { state in
            guard let index = state.waiters[pid]?.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = state.waiters[pid]?.remove(at: index)
            if state.waiters[pid]?.isEmpty == true { state.waiters[pid] = nil }
            return waiter
        }
        expired?.continuation.resume(returning: nil)
    }

    /// The incarnation was released: a later exit notice for its root is stale (a root
    /// already reaped has none to come).
    func retire(pid: Int32, name: String, incarnation: String) {
        let waiting = state.withLock { state in
            // The pid may be a successor's root by now (reused after this one was reaped).
            guard state.roots[pid]?.incarnation == incarnation else { return [Waiter]() }
            let removed = state.roots.removeValue(forKey: pid)
            let waiting = state.waiters.removeValue(forKey: pid) ?? []
            if let removed, !Self.isExited(removed) {
                if state.retired.count >= 4096 { state.retired.removeAll() }
                state.retired[pid] = name
            }
            return waiting
        }
        for waiter in waiting { waiter.continuation.resume(returning: nil) }
    }

    private static func isExited(_ root: Root) -> Bool {
        if case .exited = root { return true }
        return false
    }

    /// The watcher's handler: true for our agents' roots (their exit is passed on).
    func childExited(pid: Int32, status: ExitStatus) -> Bool {
        enum Verdict { case ours(AgentExit?, [Waiter]), stale, orphan }
        let verdict: Verdict = state.withLock { state in
            switch state.roots[pid] {
            case .spawning(let name, let incarnation, _)?:
                state.roots[pid] = .spawning(name: name, incarnation: incarnation, exit: status)
                return .ours(nil, state.waiters.removeValue(forKey: pid) ?? [])
            case .tracked(let name, let incarnation)?:
                state.roots[pid] = .exited(incarnation: incarnation, status: status)
                return .ours(AgentExit(name: name, incarnation: incarnation, pid: pid, status: status), state.waiters.removeValue(forKey: pid) ?? [])
            case .exited?, nil:
                // An exited root's pid was reaped already: this is a new child (an orphan).
                return state.retired.removeValue(forKey: pid) == nil ? .orphan : .stale
            }
        }
        switch verdict {
        case .ours(let exit, let waiting):
            if let exit { continuation.yield(exit) }
            for waiter in waiting { waiter.continuation.resume(returning: status) }
            return true
        case .stale:
            // A late exit notice of an earlier incarnation: never attributed to the current one.
            metrics.staleNotice("exit")
            return false
        case .orphan:
            metrics.orphansReaped.increment()
            return false
        }
    }
}
