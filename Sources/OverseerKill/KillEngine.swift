import OverseerProcess
#if canImport(Glibc)
import Glibc
#endif

/// Kills whole process trees with zero survivors and zero wrong kills.
///
/// Sequence (after systemd's `cg_kill` loop): resolve the roots by identity; find the tree
/// (descendants by ppid, the roots' own sessions and process groups, processes carrying the
/// environment marker), open a verified pidfd for each member and SIGSTOP it, rescanning
/// until no newcomer appears (stopped processes cannot fork); then SIGTERM (and SIGHUP, for
/// interactive shells), SIGCONT, wait the grace period polling pidfds, SIGKILL the rest,
/// rescan and SIGKILL newcomers until a rescan finds nobody new, and verify that every
/// member is gone. Signals only ever go through pidfds whose start time was checked after
/// opening. Several trees can be killed in one run, sharing its /proc scans and reading each
/// process's environment once. Blocking: run it off the event loop.
public struct KillEngine: Sendable {
    public var options: KillOptions

    public init(options: KillOptions = KillOptions()) {
        self.options = options
    }

    public func kill(_ target: KillTarget) -> KillReport {
        kill([target])[0]
    }

    /// Kills several trees in one run; one report per target, in order.
    public func kill(_ targets: [KillTarget]) -> [KillReport] {
        guard !targets.isEmpty else { return [] }
        var run = KillRun(options: options, targets: targets)
        return run.execute()
    }

    /// The members the engine would act on, without signalling anything (for dry runs).
    public func plan(_ target: KillTarget) -> (members: [(ProcStat, MembershipReason)], skipped: [SkippedProcess]) {
        var run = KillRun(options: options, targets: [target])
        let snapshot = ProcessSnapshot.capture()
        run.resolveRoots(in: snapshot)
        let members = run.collectMembers(in: snapshot)
        return (members.compactMap { found in snapshot[found.pid].map { ($0, found.reason) } }, run.skippedList(for: 0))
    }
}
