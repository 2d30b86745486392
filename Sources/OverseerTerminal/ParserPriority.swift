import COverseerSys
import Synchronization

/// Priority inheritance for `SCHED_IDLE` parser threads, done by hand.
///
/// A parser holds a screen's lock while it parses. On a busy machine an idle-priority thread
/// can wait a second or more for CPU time, and a reader (the state classifier, a delivery's
/// verification, `overseer screen`) that needs the same lock would wait with it: the kernel's
/// priority inheritance does not lift `SCHED_IDLE` owners. So a reader that finds a screen's
/// lock taken while a parser is inside a catch-up lifts that parser to `SCHED_OTHER`, and the
/// parser goes back to `SCHED_IDLE` as soon as it lets go. Lifting needs `CAP_SYS_NICE` (the
/// service runs as root) or a permissive `RLIMIT_NICE`; without them readers wait as before.
final class ParserPriority: Sendable {
    static let shared = ParserPriority()

    private struct State {
        /// Idle-priority parser threads inside a catch-up, and whether a reader lifted each.
        var parsing: [Int32: Bool] = [:]
        var lifts = 0
    }

    private let state = Mutex(State())

    /// Makes the calling thread an idle-priority parser. False if the kernel refused.
    func lowerCurrentThread() -> Bool {
        ov_thread_set_idle_priority() == 0
    }

    /// Brackets one catch-up by an idle-priority parser thread.
    func parsing(_ body: () -> Void) {
        let thread = ov_thread_id()
        state.withLock { $0.parsing[thread] = false }
        body()
        state.withLock { state in
            if state.parsing.removeValue(forKey: thread) == true { _ = ov_thread_set_idle_priority() }
        }
    }

    /// Called by a reader that found a screen's lock taken, before it waits for it: lifts
    /// every parser inside a catch-up (one at most, in the supervisor).
    func readerBlocked() {
        let reader = ov_thread_id()
        state.withLock { state in
            for (thread, lifted) in state.parsing where !lifted && thread != reader {
                if ov_thread_set_normal_priority(thread) == 0 {
                    state.parsing[thread] = true
                    state.lifts += 1
                }
            }
        }
    }

    /// How many times readers lifted a parser.
    var lifts: Int { state.withLock { $0.lifts } }
}
