import ArgumentParser
import Foundation
import Logging
import OverseerAPI
import OverseerCommands
import OverseerConfig
import OverseerSupervisor
import OverseerSystem

/// `overseer serve`: run the supervisor in the foreground (systemd runs it as Type=notify).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the supervisor in the foreground.")

    @OptionGroup var config: ConfigFileOption
    @Option(name: .customLong("socket"), help: "Socket path (socket_path).") var socket: String?
    @Option(name: .customLong("state-dir"), help: "State directory for transcripts (state_dir).") var stateDir: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (log_level).") var logLevel: String?
    @Option(name: .customLong("on-shutdown"), help: "release (kill agents on shutdown) or leave (for the reaper) (on_shutdown).") var onShutdown: String?
    @Option(name: .customLong("kill-grace"), help: "Seconds between SIGTERM and SIGKILL on release (kill_grace_seconds).") var killGrace: String?
    @Option(name: .customLong("cgroup-root"), help: "auto, off, or a cgroup v2 directory to place agents in (cgroup_root).") var cgroupRoot: String?
    @Option(name: .customLong("lineage"), help: "auto (follow agents' forks from the kernel's process events, as root) or off (lineage).") var lineage: String?

    func run() async throws {
        try await reportingErrors {
            var flags: [String: FlagValue] = [:]
            if let socket { flags["socket_path"] = FlagValue(socket, flag: "--socket") }
            if let stateDir { flags["state_dir"] = FlagValue(stateDir, flag: "--state-dir") }
            if let logLevel { flags["log_level"] = FlagValue(logLevel, flag: "--log-level") }
            if let onShutdown { flags["on_shutdown"] = FlagValue(onShutdown, flag: "--on-shutdown") }
            if let killGrace { flags["kill_grace_seconds"] = FlagValue(killGrace, flag: "--kill-grace") }
            if let cgroupRoot { flags["cgroup_root"] = FlagValue(cgroupRoot, flag: "--cgroup-root") }
            if let lineage { flags["lineage"] = FlagValue(lineage, flag: "--lineage") }
            // A hang-up (closed terminal or ssh session) must not stop us before the reload
            // handler is installed; agents get default dispositions back at spawn.
            signal(SIGHUP, SIG_IGN)
            let resolved = try config.load(flags: flags)
            let effective = resolved.config
            let levels = LogLevelControl(Logger.Level(rawValue: effective.logLevel.rawValue) ?? .info)
            LoggingSystem.bootstrap { label in JournalLogHandler(label: label, control: levels) }
            let logger = Logger(label: "overseer")
            let limit = DescriptorLimit.raiseAndDescribe()
            logger.log(level: limit.failed ? .warning : .info, "\(limit.message)")
            for warning in resolved.warnings { logger.warning("\(warning)") }
            // One supervisor per state directory, decided before anything in it is touched.
            let lock: StateDirectoryLock
            do {
                lock = try StateDirectoryLock.acquire(stateDirectory: effective.stateDir)
            } catch let error as StateDirectoryLockError {
                throw CLIError(error.description, exitCode: 1)
            }
            defer { withExtendedLifetime(lock) {} }
            var server = SupervisorServer(socketPath: effective.socketPath, settings: Self.settings(from: resolved), logger: logger)
            let reloader = ConfigReloader(configPath: config.path ?? ProcessInfo.processInfo.environment["OVERSEER_CONFIG"], flags: flags, loaded: resolved, levels: levels, logger: logger)
            server.reload = { supervisor in await reloader.reload(supervisor) }
            do {
                try await server.run()
            } catch let error as ServerError {
                throw CLIError(error.description, exitCode: 1)
            }
        }
    }

    static func settings(from resolved: ResolvedConfig) -> SupervisorSettings {
        let config = resolved.config
        var settings = SupervisorSettings(
            stateDirectory: config.stateDir,
            outputBufferBytes: config.outputBufferBytes,
            transcriptMaxBytes: UInt64(config.transcriptMaxBytes),
            maxInputBytes: config.maxInputBytes,
            maxAgents: config.maxAgents,
            defaultRows: UInt16(config.defaultRows),
            defaultCols: UInt16(config.defaultCols),
            killGraceSeconds: config.killGraceSeconds,
            protectedPIDs: config.protectedPIDs.map { Int32($0) },
            protectedPidfiles: config.protectedPIDFiles,
            releaseOnShutdown: config.onShutdown == .release,
            trackLineage: config.lineage == .auto,
            registryPath: config.registryPath,
            heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
            cgroupRoot: config.cgroupRoot,
            deliveryStorePath: config.stateDir + "/deliveries.sqlite",
            maxPendingDeliveries: config.maxPendingDeliveries,
            deliveryRetentionSeconds: config.deliveryRetentionSeconds
        )
        settings.deliveryTypedSeconds = config.deliveryTypedSeconds
        settings.deliveryReadySeconds = config.deliveryReadySeconds
        settings.deliveryIdleSeconds = config.deliveryIdleSeconds
        settings.idempotencyStorePath = config.stateDir + "/idempotency.sqlite"
        settings.idempotencyTTLSeconds = config.idempotencyTTLSeconds
        settings.idempotencyMaxEntries = config.idempotencyMaxEntries
        settings.checkpointRetentionSeconds = config.checkpointRetentionSeconds
        settings.eventBuffer = config.eventBuffer
        settings.idleTimeoutSeconds = config.idleTimeoutSeconds
        settings.maxConnections = config.maxConnections
        settings.profiles = resolved.profiles
        return settings
    }
}
