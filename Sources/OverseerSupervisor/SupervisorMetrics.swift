import Metrics
import OverseerWire
import Prometheus

/// The supervisor's metrics, recorded through swift-metrics into its own Prometheus registry
/// (no global bootstrap, so several supervisors can live in one test process).
public final class SupervisorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let spawns: Metrics.Counter
    let spawnFailures: Metrics.Counter
    let releases: Metrics.Counter
    let orphansReaped: Metrics.Counter
    let agentsRunning: Metrics.Gauge
    let registryWriteFailures: Metrics.Counter
    /// Times the kernel dropped process events (the lineage may then be incomplete).
    let lineageEventLosses: Metrics.Counter
    private let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        spawns = Metrics.Counter(label: "overseer_spawns_total", factory: factory)
        spawnFailures = Metrics.Counter(label: "overseer_spawn_failures_total", factory: factory)
        releases = Metrics.Counter(label: "overseer_releases_total", factory: factory)
        orphansReaped = Metrics.Counter(label: "overseer_orphans_reaped_total", factory: factory)
        agentsRunning = Metrics.Gauge(label: "overseer_agents_running", factory: factory)
        registryWriteFailures = Metrics.Counter(label: "overseer_registry_write_failures_total", factory: factory)
        lineageEventLosses = Metrics.Counter(label: "overseer_lineage_event_losses_total", factory: factory)
    }

    /// Adopted processes alive at the latest census, attributed to an agent or not.
    func orphansCounted(attributed: Int, unattributed: Int) {
        Metrics.Gauge(label: "overseer_orphans", dimensions: [("attributed", "true")], factory: factory).record(attributed)
        Metrics.Gauge(label: "overseer_orphans", dimensions: [("attributed", "false")], factory: factory).record(unattributed)
    }

    /// Counts one signal of a kind (SIGSTOP, SIGTERM, SIGCONT, SIGKILL).
    func signalSent(_ name: String, count: Int = 1) {
        Metrics.Counter(label: "overseer_signals_sent_total", dimensions: [("signal", name)], factory: factory).increment(by: count)
    }

    /// Counts one delivery event (`overseer_deliveries_total{event="queued"}` and so on).
    func delivery(_ kind: AgentEvent.Kind) {
        let event = kind.rawValue.hasPrefix("delivery_") ? String(kind.rawValue.dropFirst("delivery_".count)) : kind.rawValue
        Metrics.Counter(label: "overseer_deliveries_total", dimensions: [("event", event)], factory: factory).increment()
    }

    /// Counts a delivery that verified by echo, or one that fell back to unverified.
    func deliveryVerdict(_ verdict: String) {
        Metrics.Counter(label: "overseer_delivery_verdicts_total", dimensions: [("verdict", verdict)], factory: factory).increment()
    }

    /// Counts a notice (exit, delivery result) of an earlier incarnation that was dropped.
    func staleNotice(_ kind: String) {
        Metrics.Counter(label: "overseer_stale_incarnation_notices_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    /// Counts one committed registry write: the bytes it wrote to the journal and to a new
    /// snapshot, and its fsync/fdatasync calls.
    func registryCommitted(journalBytes: Int, snapshotBytes: Int, syncs: Int) {
        Metrics.Counter(label: "overseer_registry_writes_total", factory: factory).increment()
        Metrics.Counter(label: "overseer_registry_bytes_written_total", dimensions: [("file", "journal")], factory: factory).increment(by: journalBytes)
        Metrics.Counter(label: "overseer_registry_bytes_written_total", dimensions: [("file", "snapshot")], factory: factory).increment(by: snapshotBytes)
        Metrics.Counter(label: "overseer_registry_syncs_total", factory: factory).increment(by: syncs)
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
