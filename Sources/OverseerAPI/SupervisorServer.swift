import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import OverseerCgroup
import OverseerIdempotency
import OverseerSystem
import OverseerSupervisor
import ServiceLifecycle

/// Why the supervisor could not start serving.
public enum ServerError: Error, CustomStringConvertible {
    case socketInUse(String)
    case socketDirectory(String, String)
    case registry(String, String)
    case cgroup(String, String)
    case deliveries(String)
    case requests(String)

    public var description: String {
        switch self {
        case .socketInUse(let path): "another supervisor is already listening on \(path)"
        case .socketDirectory(let path, let reason): "cannot prepare the socket directory \(path): \(reason)"
        case .registry(let path, let reason): "cannot write the registry \(path): \(reason)"
        case .cgroup(let setting, let reason): "cannot manage agent cgroups (cgroup_root = \(setting)): \(reason)"
        case .deliveries(let reason): "cannot open the delivery store: \(reason)"
        case .requests(let reason): "cannot open the idempotency store: \(reason)"
        }
    }
}

/// `overseer serve`: the supervisor, the HTTP API on a Unix socket, systemd notification
/// and the watchdog, in one ServiceGroup with graceful shutdown on SIGTERM and SIGINT.
public struct SupervisorServer: Sendable {
    public var socketPath: String
    public var settings: SupervisorSettings
    public var logger: Logger
    public var notifier = SystemdNotifier()
    /// Run on SIGHUP (`ReloadService`): reloads the configuration into the running supervisor.
    public var reload: (@Sendable (Supervisor) async -> Void)?

    public init(socketPath: String, settings: SupervisorSettings, logger: Logger) {
        self.socketPath = socketPath
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        try prepareSocketDirectory()
        umask(0o077) // the socket, transcripts and state files are the owner's alone
        let group = MultiThreadedEventLoopGroup.singleton
        var settings = self.settings
        settings.cgroups = try adoptCgroups()
        defer { if let cgroups = settings.cgroups { relinquish(cgroups) } }
        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(settings: settings, group: group, logger: logger)
        } catch .deliveries(let reason) {
            throw ServerError.deliveries(reason)
        } catch .checkpoints(let reason) {
            throw ServerError.requests(reason)
        }
        logTracking(supervisor)
        if let registry = supervisor.registry {
            // The registry must be writable (and trusted) before we report ready.
            do {
                try await registry.flush()
            } catch {
                throw ServerError.registry(registry.path, "\(error)")
            }
        }
        var idempotency: IdempotencyCoordinator?
        if let path = settings.idempotencyStorePath {
            do {
                idempotency = try IdempotencyCoordinator(path: path, ttl: settings.idempotencyTTLSeconds, maxEntries: settings.idempotencyMaxEntries)
            } catch {
                throw ServerError.requests("\(error)")
            }
        }
        let router = APIRouter.make(supervisor: supervisor, idempotency: idempotency)
        let limits = ConnectionLimits(idleTimeout: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)), maxConnections: settings.maxConnections)
        let descriptorLimit = ConnectionLimits.softDescriptorLimit()
        let maxConnections = limits.effectiveMaxConnections(descriptorLimit: descriptorLimit)
        let idleTimeoutSeconds = settings.idleTimeoutSeconds
        let socketPath = self.socketPath
        let notifier = self.notifier
        let logger = self.logger
        let app = Application(
            router: router,
            server: AttachRoutes.server(supervisor: supervisor, maxInputBytes: settings.maxInputBytes, limits: limits, descriptorLimit: descriptorLimit),
            // A deep accept queue (the kernel caps it at net.core.somaxconn): a burst of connects
            // waits there for the idle-eviction to make room instead of failing with EAGAIN.
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "overseer", backlog: 4096),
            onServerRunning: { _ in
                chmod(socketPath, 0o600)
                logger.notice("listening", metadata: [
                    "socket": "\(socketPath)", "pid": "\(getpid())", "max_connections": "\(maxConnections)",
                    "idle_timeout_seconds": "\(idleTimeoutSeconds)",
                ])
                notifier.ready(status: await supervisor.statusLine())
            },
            eventLoopGroupProvider: .shared(group),
            logger: Logger(label: "overseer.http", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        var services: [any Service] = [
            WatchdogService(notifier: notifier, group: group, logger: logger),
            SupervisorService(supervisor: supervisor),
            RegistryHeartbeatService(supervisor: supervisor, interval: .milliseconds(Int(settings.heartbeatIntervalSeconds * 1000))),
            StatusService(supervisor: supervisor, notifier: notifier),
            app,
            ShutdownAnnouncer(supervisor: supervisor, notifier: notifier, logger: logger),
        ]
        if let reload { services.append(ReloadService { await reload(supervisor) }) }
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint, .sigquit],
            logger: Logger(label: "overseer.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })
        ))
        defer { unlink(socketPath) }
        try await serviceGroup.run()
        logger.notice("stopped")
    }

    /// Chooses the agents' cgroup subtree (`AgentCgroups.select`) and takes it over before
    /// READY=1. A configured directory that cannot be used is fatal; with `auto`, a subtree
    /// that cannot be used is a warning and agents run without cgroups.
    func adoptCgroups() throws -> AgentCgroups? {
        let setting = settings.cgroupRoot
        do {
            let (chosen, reason) = try AgentCgroups.select(setting, stateDirectory: settings.stateDirectory)
            guard let chosen else {
                logger.info("agents get no cgroups", metadata: ["reason": "\(reason)"])
                return nil
            }
            let removed = try chosen.adopt()
            logger.notice("agents get their own cgroups", metadata: [
                "root": "\(chosen.root.path)", "origin": "\(chosen.origin)",
                "supervisor": "\(chosen.holdsSupervisor ? chosen.supervisor.path : "stays where it was started")", "reason": "\(reason)",
                "stale_removed": "\(removed.count)",
            ])
            return chosen
        } catch {
            if setting == "auto" {
                logger.warning("cannot set up the agents' cgroups; agents get no cgroups", metadata: ["error": "\(error)"])
                return nil
            }
            throw ServerError.cgroup(setting, "\(error)")
        }
    }

    /// At the end of `serve`: a subtree the supervisor created is removed when nothing is
    /// left in it; what is still populated stays for the reaper, and the line says so.
    func relinquish(_ cgroups: AgentCgroups) {
        guard cgroups.origin == .created else { return }
        if cgroups.relinquish() {
            logger.info("removed the agents' cgroup subtree", metadata: ["root": "\(cgroups.root.path)"])
        } else {
            logger.warning("the agents' cgroup subtree is not empty; it stays for the reaper", metadata: ["root": "\(cgroups.root.path)"])
        }
    }

    /// One line naming how agents' trees are tracked, and what that cannot catch.
    func logTracking(_ supervisor: Supervisor) {
        let tracking = supervisor.tracking
        var metadata: Logger.Metadata = ["mode": "\(tracking.mode)", "misses": "\(tracking.misses)"]
        if let root = tracking.cgroupRoot { metadata["cgroup_root"] = "\(root)" }
        if let reason = tracking.lineageUnavailable { metadata["lineage_unavailable"] = "\(reason)" }
        if supervisor.lineage == nil {
            logger.warning("agents are tracked without the kernel's process events", metadata: metadata)
        } else {
            logger.notice("agents are tracked", metadata: metadata)
        }
    }

    /// Creates the socket's directory (0700) if needed and refuses a socket a live server owns;
    /// a stale socket file (nobody listening) is replaced.
    func prepareSocketDirectory() throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ServerError.socketDirectory(directory, "\(error)")
            }
        } else if !isDirectory.boolValue {
            throw ServerError.socketDirectory(directory, "not a directory")
        }
        if FileManager.default.fileExists(atPath: socketPath), SocketProbe.acceptsConnections(at: socketPath) {
            throw ServerError.socketInUse(socketPath)
        }
    }
}
