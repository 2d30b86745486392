import OverseerKill
import OverseerProcess
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Exact lineage without cgroups: follows every fork and exit on the host from the kernel's
/// process events, so a process belongs to the agent whose tree forked it, whatever it did
/// since to its environment, session, process group, title or parent.
///
/// Every process the supervisor forks starts a tree; `claim` names the agent it belongs to
/// (the fork event may come before or after the claim). A fork by a tracked process adds
/// the child to its parent's tree; a tree `condemn`ed by its release has each newborn
/// SIGKILLed as soon as its fork is reported. A process leaves its tree when its whole
/// thread group has exited (a leader that called `pthread_exit` while other threads run
/// stays). The events are read on a thread of its own; the receive buffer absorbs bursts,
/// and an overflow is counted (`lostEvents`): lineage is then possibly incomplete, and the
/// kill engine's other trails (descent, session, marker, cgroup) still apply.
public final class LineageTracker: Sendable {
    private struct Entry {
        var tree: UInt64
        /// 0 when the process was gone before its start time could be read (it still links
        /// its own children, whose forks were reported after its own).
        var startTime: UInt64
        /// The main thread has exited while others ran (a zombie leader): from then on every
        /// thread's exit may be the process's last.
        var leaderExited = false
    }

    private struct Tree {
        var agent: String?
        var members: Set<Int32> = []
        var condemned = false
    }

    private struct State {
        var processes: [Int32: Entry] = [:]
        var trees: [UInt64: Tree] = [:]
        var agents: [String: UInt64] = [:]
        var nextTree: UInt64 = 1
        var lostEvents = 0
        var killedAtBirth = 0
        var stopping = false
    }

    /// The process whose children start trees (the supervisor itself).
    public let parentPID: Int32
    private let state = Mutex(State())
    private let socket: ProcEventSocket
    private let bootID = BootID.current
    private let onLoss: @Sendable (Int) -> Void

    /// Subscribes to process events and starts the reader thread. `onLoss` is told (from that
    /// thread) each time the kernel drops events, with the total so far.
    public init(parentPID: Int32 = getpid(), onLoss: @escaping @Sendable (Int) -> Void = { _ in }) throws(ProcEventError) {
        self.parentPID = parentPID
        self.socket = try ProcEventSocket()
        self.onLoss = onLoss
        ReaderThread.start(self)
    }

    /// Stops the reader thread (within a fraction of a second); also when the tracker goes away.
    public func stop() {
        state.withLock { $0.stopping = true }
    }

    /// Names the agent a child of `parentPID` runs (called once it is spawned).
    public func claim(root: ProcessIdentity, agent: String) {
        state.withLock { state in
            let tree: UInt64
            if let entry = state.processes[root.pid], entry.startTime == root.startTime || entry.startTime == 0 {
                tree = entry.tree
            } else {
                tree = Self.newTree(&state, root: root.pid, startTime: root.startTime)
            }
            state.trees[tree]?.agent = agent
            state.agents[agent] = tree
        }
    }

    /// The agent's lineage as the kill engine reads it.
    public func source(for agent: String) -> any LineageSource {
        AgentLineage(tracker: self, agent: agent)
    }

    /// The agent's processes alive now, as far as the events tell (at most `limit`).
    public func members(of agent: String, limit: Int = .max) -> [ProcessIdentity] {
        state.withLock { state in
            guard let tree = state.agents[agent], let members = state.trees[tree]?.members else { return [] }
            var result: [ProcessIdentity] = []
            for pid in members.sorted() {
                guard result.count < limit else { break }
                if let entry = state.processes[pid], entry.startTime != 0 {
                    result.append(ProcessIdentity(pid: pid, startTime: entry.startTime, bootID: bootID))
                }
            }
            return result
        }
    }

    /// The agent whose tree the kernel saw this process born into, if any.
    public func agent(of identity: ProcessIdentity) -> String? {
        state.withLock { state in
            guard let entry = state.processes[identity.pid], entry.startTime == identity.startTime else { return nil }
            return state.trees[entry.tree]?.agent
        }
    }

    /// Newborns of the agent's tree are killed from now on.
    public func condemn(agent: String) {
        state.withLock { state in
            guard let tree = state.agents[agent] else { return }
            state.trees[tree]?.condemned = true
        }
    }

    /// The agent is gone (its release verified its tree gone): its tree is dropped.
    public func forget(agent: String) {
        state.withLock { state in
            guard let tree = state.agents.removeValue(forKey: agent), let removed = state.trees.removeValue(forKey: tree) else { return }
            for pid in removed.members where state.processes[pid]?.tree == tree { state.processes[pid] = nil }
        }
    }

    /// Processes followed now, events the kernel dropped, and newborns killed at birth.
    public var statistics: (tracked: Int, lostEvents: Int, killedAtBirth: Int) {
        state.withLock { ($0.processes.count, $0.lostEvents, $0.killedAtBirth) }
    }

    // MARK: - The reader

    /// One read (up to 200 ms) and its events; false once the tracker is stopped.
    fileprivate func step() -> Bool {
        guard !state.withLock({ $0.stopping }) else { return false }
        switch socket.read(timeoutMilliseconds: 200) {
        case .events(let events):
            for event in events { handle(event) }
        case .lost:
            let total = state.withLock { state in
                state.lostEvents += 1
                return state.lostEvents
            }
            onLoss(total)
        case .failed:
            // A transient failure (ENOMEM and the like): try again shortly.
            usleep(10_000)
        }
        return true
    }

    func handle(_ event: ProcEvent) {
        switch event.kind {
        case .fork(let parent):
            guard event.pid == event.tgid else { return } // a new thread, not a new process
            forked(event.tgid, parent: parent)
        case .exit:
            exited(event.tgid, thread: event.pid)
        }
    }

    private func forked(_ child: Int32, parent: Int32) {
        let known = state.withLock { state in parent == parentPID || state.processes[parent] != nil }
        guard known else { return }
        let startTime = (try? ProcStat.read(pid: child))?.startTime ?? 0
        let condemned: Bool = state.withLock { state in
            if parent == parentPID {
                if let entry = state.processes[child], entry.startTime == startTime { return false } // claimed first
                _ = Self.newTree(&state, root: child, startTime: startTime)
                return false
            }
            guard let tree = state.processes[parent]?.tree else { return false }
            state.processes[child] = Entry(tree: tree, startTime: startTime)
            state.trees[tree]?.members.insert(child)
            return state.trees[tree]?.condemned ?? false
        }
        guard condemned, startTime != 0 else { return }
        if KillEngine.killVerified(ProcessIdentity(pid: child, startTime: startTime, bootID: bootID)) {
            state.withLock { $0.killedAtBirth += 1 }
        }
    }

    /// A thread of a tracked process ended: the process leaves its tree once no thread of it
    /// runs. While the main thread lives, another thread's exit cannot be the last one, so
    /// /proc is read only for the main thread's exit and for exits after it.
    private func exited(_ tgid: Int32, thread: Int32) {
        guard let entry = state.withLock({ $0.processes[tgid] }) else { return }
        if thread != tgid && !entry.leaderExited { return }
        if let stat = try? ProcStat.read(pid: tgid), entry.startTime == 0 || stat.startTime == entry.startTime, ThreadGroup.mayBeRunning(stat) {
            if thread == tgid { state.withLock { state in if state.processes[tgid]?.tree == entry.tree { state.processes[tgid]?.leaderExited = true } } }
            return
        }
        state.withLock { state in
            guard state.processes[tgid]?.tree == entry.tree else { return }
            state.processes[tgid] = nil
            state.trees[entry.tree]?.members.remove(tgid)
            if let tree = state.trees[entry.tree], tree.agent == nil, tree.members.isEmpty { state.trees[entry.tree] = nil }
        }
    }

    private static func newTree(_ state: inout State, root: Int32, startTime: UInt64) -> UInt64 {
        let tree = state.nextTree
        state.nextTree += 1
        if let old = state.processes[root] { state.trees[old.tree]?.members.remove(root) }
        state.processes[root] = Entry(tree: tree, startTime: startTime)
        state.trees[tree] = Tree(members: [root])
        return tree
    }
}

/// One agent's lineage, for its kill target.
struct AgentLineage: LineageSource {
    let tracker: LineageTracker
    let agent: String

    func members() -> [ProcessIdentity] { tracker.members(of: agent) }
    func condemn() { tracker.condemn(agent: agent) }
}

/// The reader's thread (plain pthreads, detached). It holds the tracker only while it reads,
/// so a tracker nobody else holds goes away (closing its socket), and the thread with it.
private enum ReaderThread {
    static func start(_ tracker: LineageTracker) {
        let context = Unmanaged.passRetained(Box(tracker)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            while let tracker = box.tracker, tracker.step() {}
            return nil
        }, context)
        precondition(rc == 0, "cannot start the lineage reader thread: error \(rc)")
        pthread_detach(thread)
    }

    private final class Box {
        weak var tracker: LineageTracker?
        init(_ tracker: LineageTracker) { self.tracker = tracker }
    }
}
