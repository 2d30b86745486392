import Foundation
import OverseerSystem
import Prometheus
import SystemPackage

/// Writes the reaper's metrics as a Prometheus textfile (for node_exporter's textfile
/// collector). Each pass is a separate process, so counters carry on from the previous
/// file's values; `last_pass_*` gauges describe the latest pass. Replaced atomically and
/// durably (`AtomicFile`), mode 0644 so that the exporter can read it.
public enum ReapMetricsFile {
    public static func write(_ report: ReapReport, to path: String) throws(SystemCallError) {
        let file = FilePath(path)
        let previous = parse((try? file.readContents()).map { String(decoding: $0, as: UTF8.self) } ?? "")
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], add: Double) {
            let key = series(name, labels)
            let counter = labels.isEmpty ? registry.makeCounter(name: name, help: help) : registry.makeCounter(name: name, labels: labels, help: help)
            counter.increment(by: (previous[key] ?? 0) + add)
        }
        counter("overseer_reap_passes_total", "Reap passes run.", add: report.dryRun ? 0 : 1)
        counter("overseer_reap_processes_reaped_total", "Processes killed by the reaper.", add: Double(report.reaped.count))
        counter("overseer_reap_survivors_total", "Processes still alive after a kill.", add: Double(report.survivors.count))
        var reasons: [String: Int] = ["protected pid": 0, "identity mismatch": 0, "not running": 0]
        for skip in report.skipped where reasons[skip.reason] != nil { reasons[skip.reason, default: 0] += 1 }
        for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) {
            counter("overseer_reap_skipped_total", "Processes or entries not signalled, by reason.", [("reason", reason)], add: Double(count))
        }
        registry.makeGauge(name: "overseer_reap_last_pass_duration_seconds", help: "Duration of the latest pass.").set(to: report.durationSeconds)
        registry.makeGauge(name: "overseer_reap_last_pass_unresolved", help: "Entries left unresolved by the latest pass.").set(to: Double(report.unresolved.count))
        registry.makeGauge(name: "overseer_reap_last_pass_survivors", help: "Survivors of the latest pass.").set(to: Double(report.survivors.count))
        registry.makeGauge(name: "overseer_reap_last_pass_timestamp_seconds", help: "When the latest pass ended.").set(to: Date().timeIntervalSince1970)

        try file.removingLastComponent().createDirectories(permissions: FilePermissions(rawValue: 0o755))
        try AtomicFile.replace(file, with: Array(registry.emitToString().utf8), permissions: FilePermissions(rawValue: 0o644))
    }

    static func series(_ name: String, _ labels: [(String, String)]) -> String {
        labels.isEmpty ? name : name + "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
    }

    /// `series value` lines of a previous textfile (comments ignored).
    static func parse(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}
