import TOMLKit

/// The table of configuration keys.
///
/// To add a key: add a stored property (with its default) to ``OverseerConfig``
/// and one line here. File, environment and flag parsing, validation, error
/// messages, source tracking and rendering all follow from this table.
enum ConfigKeys {
    static let all: [ConfigKey] = [
        ConfigKey("socket_path", \.socketPath, .absolutePath),
        ConfigKey("state_dir", \.stateDir, .absolutePath),
        ConfigKey("log_level", \.logLevel, .choice),
        ConfigKey("on_shutdown", \.onShutdown, .choice),
        ConfigKey("kill_grace_seconds", \.killGraceSeconds, .number(above: 0, atMost: 300)),
        ConfigKey("output_buffer_bytes", \.outputBufferBytes, .integer(4_096...1_073_741_824)),
        ConfigKey("transcript_max_bytes", \.transcriptMaxBytes, .integer(0...1_099_511_627_776)),
        ConfigKey("max_input_bytes", \.maxInputBytes, .integer(1...16_777_216)),
        ConfigKey("max_agents", \.maxAgents, .integer(1...100_000)),
        ConfigKey("default_rows", \.defaultRows, .integer(1...1_000)),
        ConfigKey("default_cols", \.defaultCols, .integer(1...1_000)),
        ConfigKey("protected_pids", \.protectedPIDs, .list(of: .processID, noun: "process ids (integers from 1 to 2147483647)")),
        ConfigKey("protected_pidfiles", \.protectedPIDFiles, .list(of: .absolutePath, noun: "absolute paths")),
        ConfigKey("registry_path", \.registryPath, .absolutePath),
        ConfigKey("heartbeat_interval_seconds", \.heartbeatIntervalSeconds, .number(above: 0, atMost: 3600)),
        ConfigKey("stale_after_seconds", \.staleAfterSeconds, .number(above: 0, atMost: 86400)),
        ConfigKey("unresolved_ttl_seconds", \.unresolvedTTLSeconds, .number(above: 0, atMost: 604800)),
        ConfigKey("metrics_textfile", \.metricsTextfile, .absolutePath),
        ConfigKey("cgroup_root", \.cgroupRoot, .autoOffOrPath),
        ConfigKey("lineage", \.lineage, .choice),
        ConfigKey("max_pending_deliveries", \.maxPendingDeliveries, .integer(1...100_000)),
        ConfigKey("delivery_typed_seconds", \.deliveryTypedSeconds, .number(above: 0, atMost: 300), aliases: ["delivery_verify_seconds"]),
        ConfigKey("delivery_ready_seconds", \.deliveryReadySeconds, .number(above: 0, atMost: 3600)),
        ConfigKey("delivery_idle_seconds", \.deliveryIdleSeconds, .number(above: 0, atMost: 86_400)),
        ConfigKey("delivery_retention_seconds", \.deliveryRetentionSeconds, .number(above: 0, atMost: 31_536_000)),
        ConfigKey("idempotency_ttl_seconds", \.idempotencyTTLSeconds, .number(above: 0, atMost: 604_800)),
        ConfigKey("idempotency_max_entries", \.idempotencyMaxEntries, .integer(1...1_000_000)),
        ConfigKey("checkpoint_retention_seconds", \.checkpointRetentionSeconds, .number(above: 0, atMost: 31_536_000)),
        ConfigKey("event_buffer", \.eventBuffer, .integer(16...1_000_000)),
        ConfigKey("idle_timeout_seconds", \.idleTimeoutSeconds, .number(above: 0, atMost: 86_400)),
        ConfigKey("max_connections", \.maxConnections, .integer(1...1_000_000)),
    ]

    /// Key descriptors by TOML name, old names (aliases) included.
    static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.flatMap { key in
        ([key.name] + key.aliases).map { ($0, key) }
    })

    /// Key descriptors by environment variable name, old names' variables included.
    static let byEnvironmentName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.flatMap { key in
        ([key.name] + key.aliases).map { (environmentPrefix + $0.uppercased(), key) }
    })

    /// Whether `name` is an old name of a key (applied before the key's own name, which wins).
    static func isAlias(_ name: String) -> Bool {
        byName[name].map { $0.name != name } ?? false
    }

    /// `OVERSEER_*` variables that are not configuration and are ignored without a warning.
    static let ignoredEnvironmentNames: Set<String> = ["OVERSEER_AGENT_ID", "OVERSEER_INCARNATION", "OVERSEER_CONFIG"]

    /// Prefix of every configuration environment variable.
    static let environmentPrefix = "OVERSEER_"
}

/// One configuration key: its name and how to read, store and show its value.
struct ConfigKey: Sendable {
    /// TOML key, e.g. `kill_grace_seconds`.
    let name: String
    /// Environment variable, e.g. `OVERSEER_KILL_GRACE_SECONDS`.
    let environmentName: String
    /// Earlier names still accepted (file, environment and flags), e.g.
    /// `delivery_verify_seconds` for `delivery_typed_seconds`; never rendered.
    let aliases: [String]
    private let applyTOML: @Sendable (any TOMLValueConvertible, inout OverseerConfig, ConfigSource) throws(ConfigError) -> Void
    private let applyText: @Sendable (String, inout OverseerConfig, ConfigSource) throws(ConfigError) -> Void
    private let displayValue: @Sendable (OverseerConfig) -> DisplayValue
    private let copyValue: @Sendable (OverseerConfig, inout OverseerConfig) -> Void

    init<Value: Sendable>(
        _ name: String,
        _ keyPath: WritableKeyPath<OverseerConfig, Value> & Sendable,
        _ kind: ValueKind<Value>,
        aliases: [String] = []
    ) {
        self.name = name
        self.aliases = aliases
        self.environmentName = ConfigKeys.environmentPrefix + name.uppercased()
        self.applyTOML = { value, config, source throws(ConfigError) in
            do throws(InvalidValue) {
                config[keyPath: keyPath] = try kind.fromTOML(value)
            } catch {
                throw .invalidValue(key: name, value: error.shown, expected: kind.expectedInFile, source: source)
            }
        }
        self.applyText = { text, config, source throws(ConfigError) in
            do throws(InvalidValue) {
                config[keyPath: keyPath] = try kind.fromText(text)
            } catch {
                throw .invalidValue(key: name, value: error.shown, expected: kind.expectedAsText, source: source)
            }
        }
        self.displayValue = { kind.display($0[keyPath: keyPath]) }
        self.copyValue = { source, target in target[keyPath: keyPath] = source[keyPath: keyPath] }
    }

    /// Parses a value from the TOML file and stores it in `config`.
    func apply(toml value: any TOMLValueConvertible, to config: inout OverseerConfig, source: ConfigSource) throws(ConfigError) {
        try applyTOML(value, &config, source)
    }

    /// Parses a value given as text (environment variable or flag) and stores it in `config`.
    func apply(text: String, to config: inout OverseerConfig, source: ConfigSource) throws(ConfigError) {
        try applyText(text, &config, source)
    }

    /// The current value of this key in `config`, ready for rendering.
    func display(_ config: OverseerConfig) -> DisplayValue { displayValue(config) }

    /// Sets this key of `target` to its value in `source`.
    func copy(from source: OverseerConfig, to target: inout OverseerConfig) { copyValue(source, &target) }
}
