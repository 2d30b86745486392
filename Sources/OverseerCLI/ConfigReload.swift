import Logging
import OverseerConfig
import OverseerSupervisor
import Synchronization

/// SIGHUP for `overseer serve`: reads the configuration again the way start-up did (the same
/// file, `OVERSEER_*` environment and flags, which still win), applies the keys that can
/// change at run time, refuses the others, and says both in one notice line. A file that does
/// not load is refused whole, with its error, and the configuration in force stays.
final class ConfigReloader: Sendable {
    /// Keys a running supervisor takes on reload; they hold for what happens from then on
    /// (new spawns, releases, deliveries, the log), not for agents already running.
    static let runtimeKeys: Set<String> = [
        "log_level", "on_shutdown", "kill_grace_seconds", "output_buffer_bytes", "transcript_max_bytes",
        "max_agents", "default_rows", "default_cols", "protected_pids", "protected_pidfiles",
        "max_pending_deliveries", "delivery_typed_seconds", "delivery_ready_seconds", "delivery_idle_seconds",
        "checkpoint_retention_seconds", profilesKey,
    ]
    /// Keys only `overseer reap` reads (each run reads them afresh); serve has nothing to apply.
    static let reaperKeys: Set<String> = ["stale_after_seconds", "unresolved_ttl_seconds", "metrics_textfile"]
    /// The file's `[profiles.NAME]` tables, reported under this name.
    static let profilesKey = "profiles"

    let configPath: String?
    let flags: [String: FlagValue]
    let levels: LogLevelControl
    let logger: Logger
    private let inForce: Mutex<ResolvedConfig>

    init(configPath: String?, flags: [String: FlagValue], loaded: ResolvedConfig, levels: LogLevelControl, logger: Logger) {
        self.configPath = configPath
        self.flags = flags
        self.levels = levels
        self.logger = logger
        inForce = Mutex(loaded)
    }

    /// One reload: load, compare with what is in force, apply or refuse, log.
    func reload(_ supervisor: Supervisor) async {
        let loaded: ResolvedConfig
        do {
            loaded = try ConfigLoader.forCurrentProcess().load(configPath: configPath, flags: flags)
        } catch {
            logger.error("configuration reload refused: \(error); the configuration in force stays", metadata: ["file": "\(configPath ?? ConfigLoader.standardFilePath)"])
            return
        }
        let current = inForce.withLock { $0 }
        var changed = loaded.config.keysDiffering(from: current.config)
        if loaded.profiles != current.profiles { changed.append(Self.profilesKey) }
        let applied = changed.filter { Self.runtimeKeys.contains($0) }
        let forReaper = changed.filter { Self.reaperKeys.contains($0) }
        let refused = changed.filter { !Self.runtimeKeys.contains($0) && !Self.reaperKeys.contains($0) }

        var next = current
        next.config = current.config.taking(applied + forReaper, from: loaded.config)
        if applied.contains(Self.profilesKey) { next.profiles = loaded.profiles }
        next.filePath = loaded.filePath
        inForce.withLock { $0 = next }
        await supervisor.reconfigure(ServeCommand.settings(from: next))
        if let level = Logger.Level(rawValue: next.config.logLevel.rawValue) { levels.level = level }

        var metadata: Logger.Metadata = [
            "file": "\(loaded.filePath ?? "none")",
            "changed": "\(applied.isEmpty ? "none" : applied.map { describe($0, next) }.joined(separator: ", "))",
            "refused": "\(refused.isEmpty ? "none" : refused.map { "\($0) (fixed until restart)" }.joined(separator: ", "))",
        ]
        if !forReaper.isEmpty { metadata["reaper_only"] = "\(forReaper.joined(separator: ", "))" }
        logger.notice("configuration reloaded", metadata: metadata)
    }

    private func describe(_ key: String, _ config: ResolvedConfig) -> String {
        if key == Self.profilesKey { return "profiles=[\(config.profiles.names.joined(separator: ", "))]" }
        return "\(key)=\(config.config.renderedValue(of: key) ?? "?")"
    }
}
