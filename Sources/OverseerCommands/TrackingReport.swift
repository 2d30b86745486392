import Foundation
import OverseerCgroup
import OverseerClient
import OverseerConfig
import OverseerWire
#if canImport(Glibc)
import Glibc
#endif

/// The tracking line of `overseer config`: the mode in force, asked of the supervisor on the
/// configured socket; when none answers, the mode `serve` would choose with this
/// configuration on this machine, said to be a prediction.
struct TrackingReport: Encodable {
    /// `running` (the supervisor said so) or `predicted` (nobody answered on the socket).
    var source: String
    var tracking: TrackingView
    /// The answering supervisor's pid.
    var pid: Int32?

    static func take(_ config: OverseerConfig) async -> TrackingReport {
        var client = SupervisorClient(socketPath: config.socketPath)
        client.retryWindow = .zero
        client.timeout = .seconds(2)
        if let health = try? await client.health(), let tracking = health.tracking {
            return TrackingReport(source: "running", tracking: tracking, pid: health.pid)
        }
        return TrackingReport(source: "predicted", tracking: predict(config))
    }

    /// What `serve` would choose: the cgroup subtree by the same rules (nothing is created),
    /// and lineage when the setting allows it and the caller is root (the proc connector
    /// needs CAP_NET_ADMIN; whether the kernel grants the subscription shows only at start).
    static func predict(_ config: OverseerConfig) -> TrackingView {
        var cgroups: AgentCgroups?
        var cgroupProblem: String?
        do {
            cgroups = try AgentCgroups.select(config.cgroupRoot, stateDirectory: config.stateDir).cgroups
        } catch {
            cgroupProblem = "\(error)"
        }
        let lineageProblem: String? = config.lineage == .off ? "lineage = off" : (geteuid() != 0 ? "the kernel's process events need root (CAP_NET_ADMIN)" : nil)
        let (mode, misses) = TrackingView.misses(cgroups: cgroups != nil, lineage: lineageProblem == nil)
        var view = TrackingView(mode: mode, misses: misses, cgroupRoot: cgroups?.root.path, cgroupOrigin: cgroups.map { "\($0.origin)" }, lineageUnavailable: lineageProblem)
        if let cgroupProblem { view.misses += "; serve would refuse to start: \(cgroupProblem)" }
        return view
    }

    /// Two lines for people.
    var text: String {
        var first = "tracking: \(tracking.mode)"
        if let pid { first += " (in force: supervisor pid \(pid))" } else { first += " (predicted: no supervisor answers on the socket)" }
        if let root = tracking.cgroupRoot { first += "; agents' cgroups under \(root) (\(tracking.cgroupOrigin ?? "?"))" }
        if let reason = tracking.lineageUnavailable { first += "; no lineage: \(reason)" }
        return first + "\ntracking misses: \(tracking.misses)"
    }
}
