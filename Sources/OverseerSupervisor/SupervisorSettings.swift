import OverseerProfiles
import OverseerTerminal
import OverseerCgroup

/// Settings the supervisor runs with (mapped from the effective configuration).
public struct SupervisorSettings: Sendable {
    public var stateDirectory: String
    public var outputBufferBytes: Int
    public var transcriptMaxBytes: UInt64
    public var maxInputBytes: Int
    public var maxAgents: Int
    public var defaultRows: UInt16
    public var defaultCols: UInt16
    public var killGraceSeconds: Double
    public var protectedPIDs: [Int32]
    public var protectedPidfiles: [String]
    /// Release agents on shutdown (true) or leave them for the reaper.
    public var releaseOnShutdown: Bool
    /// Follow agents' forks from the kernel's process events (`lineage = auto`).
    public var trackLineage: Bool
    /// The in-flight registry (nil: none is kept).
    public var registryPath: String?
    public var heartbeatIntervalSeconds: Double
    /// The `cgroup_root` setting: `auto`, `off` or a cgroup v2 directory (resolved at start-up).
    public var cgroupRoot: String
    /// The subtree agents are placed in (nil: /proc identity tracking alone).
    public var cgroups: AgentCgroups?
    /// The durable delivery store (nil: messages are not accepted).
    public var deliveryStorePath: String?
    public var maxPendingDeliveries: Int = 256
    /// How long a typed delivery is awaited on the screen (or in the output): `delivery_typed_seconds`.
    public var deliveryTypedSeconds: Double = 5
    /// How long a delivery waits for the program to take its terminal before it is typed anyway.
    public var deliveryReadySeconds: Double = 30
    /// How long a delivery waits for a busy agent to be idle (`when: idle`; a typed check or an
    /// Enter re-press into a working agent).
    public var deliveryIdleSeconds: Double = 600
    public var deliveryRetentionSeconds: Double = 86_400
    /// Stored answers for Idempotency-Key retries and command-stream checkpoints (nil: none).
    public var idempotencyStorePath: String?
    public var idempotencyTTLSeconds: Double = 300
    public var idempotencyMaxEntries: Int = 10_000
    public var checkpointRetentionSeconds: Double = 604_800
    /// Events kept for `Last-Event-ID` replay on `/v1/events` (`event_buffer`).
    public var eventBuffer: Int = 4096
    /// Seconds a connection may sit idle (no request in progress) before it is closed (`idle_timeout_seconds`).
    public var idleTimeoutSeconds: Double = 60
    /// Connections served at once; more are answered 503 and closed (`max_connections`).
    public var maxConnections: Int = 1024
    /// Lines kept above each agent's rendered screen.
    public var screenScrollbackLines: Int = TerminalScreen.defaultScrollbackLines
    /// Agent profiles: the built-in ones and those of the config file.
    public var profiles: ProfileCatalog = .builtIn

    public init(stateDirectory: String, outputBufferBytes: Int = 1 << 20, transcriptMaxBytes: UInt64 = 64 << 20, maxInputBytes: Int = 65536, maxAgents: Int = 1000, defaultRows: UInt16 = 24, defaultCols: UInt16 = 80, killGraceSeconds: Double = 5, protectedPIDs: [Int32] = [], protectedPidfiles: [String] = [], releaseOnShutdown: Bool = true, trackLineage: Bool = true, registryPath: String? = nil, heartbeatIntervalSeconds: Double = 15, cgroupRoot: String = "off", cgroups: AgentCgroups? = nil, deliveryStorePath: String? = nil, maxPendingDeliveries: Int = 256, deliveryTypedSeconds: Double = 5, deliveryRetentionSeconds: Double = 86_400) {
        self.deliveryStorePath = deliveryStorePath
        self.maxPendingDeliveries = maxPendingDeliveries
        self.deliveryTypedSeconds = deliveryTypedSeconds
        self.deliveryRetentionSeconds = deliveryRetentionSeconds
        self.cgroupRoot = cgroupRoot
        self.cgroups = cgroups
        self.registryPath = registryPath
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.stateDirectory = stateDirectory
        self.outputBufferBytes = outputBufferBytes
        self.transcriptMaxBytes = transcriptMaxBytes
        self.maxInputBytes = maxInputBytes
        self.maxAgents = maxAgents
        self.defaultRows = defaultRows
        self.defaultCols = defaultCols
        self.killGraceSeconds = killGraceSeconds
        self.protectedPIDs = protectedPIDs
        self.protectedPidfiles = protectedPidfiles
        self.releaseOnShutdown = releaseOnShutdown
        self.trackLineage = trackLineage
    }
}
