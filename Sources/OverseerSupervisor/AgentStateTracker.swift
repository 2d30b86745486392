import Foundation
import OverseerProfiles
import OverseerPTY
import OverseerTerminal
import Synchronization

/// One agent's state (`starting`, `idle`, `working`, `blocked`, `exited`), kept current from
/// its rendered screen by its profile's rules (DESIGN §4). `run` classifies again after each
/// burst of output, when a quiet-output rule comes due, and (until the program has taken the
/// terminal) every few milliseconds, since leaving cooked mode makes no output of its own.
/// Readers take the current verdict, or wait for one that satisfies them.
public final class AgentStateTracker: Sendable {
    /// A verdict and when the state it names began.
    public struct Current: Sendable, Equatable {
        public var verdict: AgentStateVerdict
        /// Seconds since the epoch when the agent entered `verdict.state`.
        public var since: Double
        /// Bumped on every new verdict.
        public var version: UInt64
    }

    /// How often the terminal is probed while the program has not taken it yet.
    static let startingProbe: Duration = .milliseconds(20)
    /// How often a ready program in cooked mode is probed for blocking in `read()`.
    static let cookedProbe: Duration = .milliseconds(100)
    /// Probes double from their first interval while no output arrives, up to this (the safety
    /// net's own interval, reached after about ten quiet seconds): a program that stays quiet
    /// in cooked mode (`sleep`, a server) costs one probe every 5 s, not 50 a second, so a
    /// thousand of them do not keep the supervisor busy. Output resets the interval.
    static var probeCap: Duration { idleRecheck }
    /// After output arrives, the pause that lets a redraw finish before the screen is read.
    static let settle: Duration = .milliseconds(15)
    /// The longest sleep without output (a safety net; quiet rules name their own recheck).
    static let idleRecheck: Duration = .seconds(5)
    /// Unparsed output above which, while output keeps arriving, the tracker waits instead of
    /// classifying: catching the screen up here would parse at normal priority and slow the
    /// drain, which the background parser (idle priority) must never do. The verdict then
    /// stands until the parser has caught up or output pauses.
    static let streamingBacklog: UInt64 = 64 << 10

    public let profile: Profile
    let screen: TerminalScreen
    let ring: OutputRing
    fileprivate let state: Mutex<State>
    private let changed: @Sendable (_ previous: AgentStateVerdict, _ current: Current) -> Void

    fileprivate struct State {
        var current: Current
        var exited = false
        var terminal: AgentTerminal?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    /// `changed` runs (on the tracker's task) whenever the state changes, not for every new verdict.
    init(profile: Profile, screen: TerminalScreen, ring: OutputRing, changed: @escaping @Sendable (_ previous: AgentStateVerdict, _ current: Current) -> Void) {
        self.profile = profile
        self.screen = screen
        self.ring = ring
        self.changed = changed
        let initial = AgentStateVerdict(state: .starting, rule: nil, evidence: [], profile: profile.name, ready: false, recheckAfterSeconds: nil, reason: "spawned; the program has not taken the terminal yet", explain: "state: starting\nprofile: \(profile.name)\nreason: spawned; not classified yet\n")
        state = Mutex(State(current: Current(verdict: initial, since: Date().timeIntervalSince1970, version: 0)))
    }

    public var current: Current { state.withLock { $0.current } }

    /// The terminal to probe for its line discipline (set once it is attached).
    func attach(_ terminal: AgentTerminal) {
        state.withLock { $0.terminal = terminal }
    }

    /// The root process exited: the state is `exited` from now on.
    func markExited() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.exited = true
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until a verdict satisfies `accept` (checked on the current one first), the
    /// agent has exited, the timeout passes, or the task is cancelled; returns the verdict then.
    public func wait(timeout: Duration, until accept: @Sendable (AgentStateVerdict) -> Bool) async -> Current {
        let deadline = ContinuousClock.now + timeout
        while true {
            let now = current
            if accept(now.verdict) || now.verdict.state == .exited || Task.isCancelled { return now }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return now }
            await waitForChange(after: now.version, timeout: remaining)
        }
    }

    /// Classifies the screen as output arrives (the background parser keeps it parsed), until
    /// the agent has exited (its final verdict is `exited`) or the task is cancelled.
    func run() async {
        await classify()
    }

    private func classify() async {
        var cursor: UInt64 = 0
        var lastOutput = ContinuousClock.now
        var leftCookedMode = false
        var leftCookedModeAt: ContinuousClock.Instant?
        var quietProbes = 0 // probes since the latest output
        while !Task.isCancelled {
            let end = ring.end
            if end != cursor {
                cursor = end
                lastOutput = .now
                quietProbes = 0
                if end - min(end, screen.fedBytes) > Self.streamingBacklog, !ring.isClosed {
                    await ring.waitForData(after: cursor, timeout: Self.settle)
                    try? await Task.sleep(for: Self.settle)
                    continue
                }
            }
            let (exited, terminal) = state.withLock { ($0.exited, $0.terminal) }
            let discipline = exited ? nil : terminal?.lineDiscipline()
            if discipline?.leftCookedMode == true, !leftCookedMode {
                leftCookedMode = true
                leftCookedModeAt = .now
            }
            let wasReady = current.verdict.ready
            // Only a program in cooked mode shows its waiting for input by blocking in read().
            let reading = !exited && discipline?.leftCookedMode == false && discipline?.foregroundReadsTerminal == true
            let observation = AgentObservation(
                screen: screen.snapshot(), secondsSinceOutput: (ContinuousClock.now - lastOutput).seconds,
                exited: exited, leftCookedMode: leftCookedMode, wasReady: wasReady, readingTerminal: reading,
                secondsSinceLeftCookedMode: leftCookedModeAt.map { (ContinuousClock.now - $0).seconds }
            )
            let verdict = AgentStateClassifier.classify(observation, profile: profile)
            publish(verdict)
            if exited { return }

            let wait: Duration
            if !verdict.ready {
                wait = Self.probe(from: Self.startingProbe, after: quietProbes) // leaving cooked mode makes no output: only polling sees it
                quietProbes += 1
            } else if !exited, discipline?.leftCookedMode == false, !reading {
                wait = Self.probe(from: Self.cookedProbe, after: quietProbes) // a cooked-mode program starting to read makes no output either
                quietProbes += 1
            } else if let recheck = verdict.recheckAfterSeconds {
                wait = .milliseconds(Int((recheck * 1000).rounded(.up)) + 5)
            } else {
                wait = Self.idleRecheck
            }
            if ring.isClosed, ring.end == cursor {
                await waitForChange(after: current.version, timeout: wait) // only the exit can change it now
            } else {
                await ring.waitForData(after: cursor, timeout: wait)
                if ring.end != cursor { try? await Task.sleep(for: Self.settle) }
            }
        }
    }

    /// The probe interval after `quiet` probes without output: `first`, doubled each time, at most `probeCap`.
    static func probe(from first: Duration, after quiet: Int) -> Duration {
        min(first * (1 << min(quiet, 16)), max(first, probeCap))
    }

    private func publish(_ verdict: AgentStateVerdict) {
        let (previous, updated, waiters) = state.withLock { state -> (AgentStateVerdict, Current?, [CheckedContinuation<Void, Never>]) in
            let previous = state.current.verdict
            guard previous != verdict else { return (previous, nil, []) }
            let since = previous.state == verdict.state ? state.current.since : Date().timeIntervalSince1970
            state.current = Current(verdict: verdict, since: since, version: state.current.version + 1)
            return (previous, state.current, state.takeWaiters())
        }
        for waiter in waiters { waiter.resume() }
        if let updated, previous.state != updated.verdict.state { changed(previous, updated) }
    }

    private func waitForChange(after version: UInt64, timeout: Duration) async {
        let id: Int? = state.withLock { state in
            if state.current.version != version || state.exited { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resumeWaiter(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.current.version != version || state.exited || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.resumeWaiter(id)
        }
        timer.cancel()
    }

    private func resumeWaiter(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}

extension AgentStateTracker.State {
    mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        defer { waiters.removeAll() }
        return Array(waiters.values)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

/// Runs every agent's state tracker as a child task of the supervisor's `run`.
final class StateTrackers: Sendable {
    private let stream: AsyncStream<AgentStateTracker>
    private let continuation: AsyncStream<AgentStateTracker>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream()
    }

    /// Starts classifying the agent's screen (its terminal is attached).
    func start(_ tracker: AgentStateTracker) {
        continuation.yield(tracker)
    }

    /// Runs the trackers until cancelled (each ends when its agent exits).
    func run() async {
        await withDiscardingTaskGroup { group in
            for await tracker in stream {
                group.addTask { await tracker.run() }
            }
        }
    }

    /// No tracker starts from now on; the running ones end with their agents or on cancellation.
    func finish() {
        continuation.finish()
    }
}
