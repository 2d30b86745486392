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
final class RootProcesses: Sendable {
    private enum Root {
        case spawning(name: String, incarnation: String, exit: ExitStatus?)
        case tracked(name: String, incarnation: String)
    }

    private struct State {
        var roots: [Int32: Root] = [:]
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
            state.roots[pid] = nil
            return AgentExit(name: name, incarnation: incarnation, pid: pid, status: exit)
        }
        if let held { continuation.yield(held) }
    }

    /// The spawn failed after all: forget the root.
    func forget(pid: Int32) {
        _ = state.withLock { $0.roots.removeValue(forKey: pid) }
    }

    /// The incarnation was released: a later exit notice for its root is stale.
    func retire(pid: Int32, name: String) {
        state.withLock { state in
            guard state.roots.removeValue(forKey: pid) != nil else { return }
            if state.retired.count >= 4096 { state.retired.removeAll() }
            state.retired[pid] = name
        }
    }

    /// The watcher's handler: true for our agents' roots (their exit is passed on).
    func childExited(pid: Int32, status: ExitStatus) -> Bool {
        enum Verdict { case ours(AgentExit?), stale, orphan }
        let verdict: Verdict = state.withLock { state in
            switch state.roots[pid] {
            case .spawning(let name, let incarnation, _)?:
                state.roots[pid] = .spawning(name: name, incarnation: incarnation, exit: status)
                return .ours(nil)
            case .tracked(let name, let incarnation)?:
                state.roots[pid] = nil
                return .ours(AgentExit(name: name, incarnation: incarnation, pid: pid, status: status))
            case nil:
                return state.retired.removeValue(forKey: pid) == nil ? .orphan : .stale
            }
        }
        switch verdict {
        case .ours(let exit):
            if let exit { continuation.yield(exit) }
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
