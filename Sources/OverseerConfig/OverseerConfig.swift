import OverseerProfiles

/// The effective configuration of the Overseer supervisor.
///
/// Every stored property corresponds to one entry of ``ConfigKeys/all``; the
/// property initial values are the built-in defaults, except the two paths,
/// whose defaults depend on the environment (see ``defaults(environment:uid:)``).
public struct OverseerConfig: Sendable, Equatable {
    /// `socket_path`: absolute path of the control socket.
    public var socketPath: String
    /// `state_dir`: absolute path of the directory holding persistent state.
    public var stateDir: String
    /// `log_level`: minimum level of messages that are logged.
    public var logLevel: LogLevel = .info
    /// `on_shutdown`: what happens to running agents when the supervisor stops.
    public var onShutdown: ShutdownPolicy = .release
    /// `lineage`: follow agents' forks from the kernel's process events (`auto`: when the
    /// proc connector can be subscribed, i.e. as root) or not (`off`).
    public var lineage: LineageSetting = .auto
    /// `kill_grace_seconds`: time between SIGTERM and SIGKILL, in (0, 300].
    public var killGraceSeconds: Double = 5
    /// `output_buffer_bytes`: per-agent in-memory output buffer size.
    public var outputBufferBytes: Int = 1_048_576
    /// `transcript_max_bytes`: per-agent transcript size limit; 0 disables transcripts.
    public var transcriptMaxBytes: Int = 67_108_864
    /// `max_input_bytes`: largest single input write accepted for an agent.
    public var maxInputBytes: Int = 65_536
    /// `max_agents`: maximum number of agents supervised at once.
    public var maxAgents: Int = 1_000
    /// `default_rows`: terminal rows given to an agent when none are requested.
    public var defaultRows: Int = 24
    /// `default_cols`: terminal columns given to an agent when none are requested.
    public var defaultCols: Int = 80
    /// `protected_pids`: process ids the supervisor must never signal.
    public var protectedPIDs: [Int] = []
    /// `protected_pidfiles`: absolute paths of pid files whose processes must never be signalled.
    public var protectedPIDFiles: [String] = []
    /// `registry_path`: the in-flight registry (default: `<state_dir>/registry.json`).
    public var registryPath: String
    /// `heartbeat_interval_seconds`: how often the supervisor rewrites the registry's heartbeat.
    public var heartbeatIntervalSeconds: Double = 15
    /// `stale_after_seconds`: a supervisor heartbeat older than this counts as dead for the reaper.
    public var staleAfterSeconds: Double = 60
    /// `unresolved_ttl_seconds`: how long the reaper keeps retrying an entry it cannot resolve.
    public var unresolvedTTLSeconds: Double = 300
    /// `metrics_textfile`: where the reaper writes its Prometheus textfile (default: `<state_dir>/metrics/overseer-reap.prom`).
    public var metricsTextfile: String
    /// `cgroup_root`: the cgroup v2 subtree agents are placed in. `auto`: the cgroup systemd
    /// delegated to the service (`Delegate=yes`), else, for root on a writable hierarchy, a
    /// subtree of its own (`<mount>/overseer/<key>`); `off`: none (lineage and /proc markers
    /// alone); or the absolute path of a cgroup v2 directory to manage.
    public var cgroupRoot: String = "auto"
    /// `max_pending_deliveries`: queued messages kept per agent; the oldest is dropped beyond it.
    public var maxPendingDeliveries: Int = 256
    /// `delivery_typed_seconds` (formerly `delivery_verify_seconds`, still accepted): how long
    /// a typed message is awaited on the screen (or in the output) before it counts as unverified.
    public var deliveryTypedSeconds: Double = 5
    /// `delivery_ready_seconds`: how long a delivery waits for the program to take its terminal
    /// before it is typed anyway (and its history says so).
    public var deliveryReadySeconds: Double = 30
    /// `delivery_idle_seconds`: how long a delivery waits for a busy agent to be idle (`when: idle`,
    /// a typed check of a working agent, an Enter re-press into a working agent).
    public var deliveryIdleSeconds: Double = 600
    /// `delivery_retention_seconds`: how long finished deliveries stay queryable.
    public var deliveryRetentionSeconds: Double = 86_400
    /// `idempotency_ttl_seconds`: how long the answer to a request with an Idempotency-Key is replayed.
    public var idempotencyTTLSeconds: Double = 300
    /// `idempotency_max_entries`: stored answers kept at most (the oldest go first).
    public var idempotencyMaxEntries: Int = 10_000
    /// `checkpoint_retention_seconds`: how long a released agent's command checkpoints wait for an acknowledgement.
    public var checkpointRetentionSeconds: Double = 604_800
    /// `event_buffer`: events kept for `/v1/events` clients reconnecting with `Last-Event-ID`.
    public var eventBuffer: Int = 4_096
    /// `idle_timeout_seconds`: a connection with no request in progress for this long is closed
    /// (never an SSE stream, a long-poll or an attach while it runs).
    public var idleTimeoutSeconds: Double = 60
    /// `max_connections`: connections served at once; more are answered 503 and closed (capped
    /// at the descriptor limit less a reserve).
    public var maxConnections: Int = 1_024

    /// Creates a configuration with the given paths and built-in defaults for everything else
    /// (the registry and the reaper's metrics file live under `stateDir`).
    public init(socketPath: String, stateDir: String) {
        self.socketPath = socketPath
        self.stateDir = stateDir
        self.registryPath = stateDir + "/registry.json"
        self.metricsTextfile = stateDir + "/metrics/overseer-reap.prom"
    }

    /// The configuration used when no file, environment variable or flag sets anything.
    public static func defaults(environment: [String: String], uid: UInt32) -> OverseerConfig {
        DefaultPaths(environment: environment, uid: uid).config
    }

    /// The TOML names of all configuration keys, in display order.
    public static var keyNames: [String] { ConfigKeys.all.map(\.name) }
}

/// Log verbosity. Raw values are the spellings accepted in configuration and
/// match swift-log's `Logger.Level` case names.
public enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

/// What the supervisor does with running agents when it shuts down.
/// Whether the supervisor follows agents' forks from the kernel's process events.
public enum LineageSetting: String, Sendable, Equatable, CaseIterable {
    /// When the proc connector can be subscribed (CAP_NET_ADMIN); the start-up line says which.
    case auto
    /// Never (the kill engine's other trails only).
    case off
}

public enum ShutdownPolicy: String, Sendable, Equatable, CaseIterable {
    /// Release every agent: kill its whole process tree before exiting.
    case release
    /// Leave agents running; their registry entries let the reaper find them later.
    case leave
}

/// Where an effective configuration value came from.
public enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    /// Built-in default.
    case defaultValue
    /// The configuration file at this path.
    case file(String)
    /// The environment variable of this name (e.g. `OVERSEER_LOG_LEVEL`).
    case environment(String)
    /// The command-line flag with this spelling (e.g. `--socket`).
    case flag(String)

    /// Short label: `default`, `file /path`, `env OVERSEER_X`, `flag --x`.
    public var description: String {
        switch self {
        case .defaultValue: "default"
        case .file(let path): "file \(path)"
        case .environment(let name): "env \(name)"
        case .flag(let flag): "flag \(flag)"
        }
    }

    /// Longer label used at the start of error messages.
    var errorLabel: String {
        switch self {
        case .defaultValue: "default"
        case .file(let path): "config file \(path)"
        case .environment(let name): "environment variable \(name)"
        case .flag(let flag): "flag \(flag)"
        }
    }
}

/// A configuration value given on the command line.
public struct FlagValue: Sendable, Equatable {
    /// The raw text of the value, parsed like an environment variable's value.
    public var value: String
    /// The flag as the user spelled it, used in source labels (e.g. `--socket`).
    public var flag: String

    public init(_ value: String, flag: String) {
        self.value = value
        self.flag = flag
    }
}

/// The outcome of ``ConfigLoader/load(configPath:flags:)``.
public struct ResolvedConfig: Sendable, Equatable {
    /// The effective configuration.
    public var config: OverseerConfig
    /// The source of each value, keyed by TOML key name; every key is present.
    public var sources: [String: ConfigSource]
    /// Non-fatal problems (e.g. unknown `OVERSEER_*` variables), in a stable order.
    public var warnings: [String]
    /// The configuration file that was read, or nil when none was.
    public var filePath: String?
    /// The built-in profiles plus the file's `[profiles.NAME]` tables, all checked.
    public var profiles: ProfileCatalog

    public init(config: OverseerConfig, sources: [String: ConfigSource], warnings: [String], filePath: String?, profiles: ProfileCatalog = .builtIn) {
        self.config = config
        self.sources = sources
        self.warnings = warnings
        self.filePath = filePath
        self.profiles = profiles
    }

    /// The source of the value of `key`, or nil for an unknown key.
    public func source(of key: String) -> ConfigSource? { sources[key] }
}

extension OverseerConfig {
    /// The keys whose effective values differ between this configuration and `other`, in the
    /// order of the key table (a SIGHUP reload reports changes by these names).
    public func keysDiffering(from other: OverseerConfig) -> [String] {
        ConfigKeys.all.filter { $0.display(self) != $0.display(other) }.map(\.name)
    }

    /// This configuration with the values of `keys` taken from `other` (unknown names are ignored).
    public func taking(_ keys: some Sequence<String>, from other: OverseerConfig) -> OverseerConfig {
        var result = self
        for name in keys { ConfigKeys.byName[name]?.copy(from: other, to: &result) }
        return result
    }

    /// The value of `key` in TOML syntax (`5`, `"info"`, `[1, 2]`), or nil for an unknown key.
    public func renderedValue(of key: String) -> String? {
        ConfigKeys.byName[key].map { $0.display(self).toml }
    }
}
