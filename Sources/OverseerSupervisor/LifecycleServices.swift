import Logging
import NIOCore
import ServiceLifecycle

/// Runs the agent manager for the life of the service group: starts child reaping, and on
/// graceful shutdown applies the shutdown policy (release agents, or leave them).
public struct AgentManagerService: Service {
    let manager: AgentManager

    public init(manager: AgentManager) {
        self.manager = manager
    }

    public func run() async throws {
        manager.start()
        try? await gracefulShutdown()
        await manager.shutdown()
    }
}

/// Keeps STATUS= current: re-sends the one-line summary on every agent event (no polling).
public struct StatusService: Service {
    let manager: AgentManager
    let notifier: SystemdNotifier

    public init(manager: AgentManager, notifier: SystemdNotifier) {
        self.manager = manager
        self.notifier = notifier
    }

    public func run() async throws {
        // Without a service manager there is nobody to tell.
        guard notifier.isActive else {
            try? await gracefulShutdown()
            return
        }
        let events = manager.events.subscribe()
        await withGracefulShutdownHandler {
            var sent = ""
            for await _ in events.cancelOnGracefulShutdown() {
                let line = manager.statusLine
                if line != sent {
                    notifier.status(line)
                    sent = line
                }
            }
        } onGracefulShutdown: {}
        // The event stream ends early when shutdown begins; stay until we are told to stop.
        try? await gracefulShutdown()
    }
}

/// Sends WATCHDOG=1 at half of WATCHDOG_USEC, but only after a round trip through every
/// event loop of the server: a wedged loop stops the pings and systemd restarts us.
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let group: any EventLoopGroup
    let logger: Logger

    public init(notifier: SystemdNotifier, group: any EventLoopGroup, logger: Logger) {
        self.notifier = notifier
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        guard let timeout = notifier.watchdogTimeout else {
            try? await gracefulShutdown()
            return
        }
        let interval = timeout / 2
        logger.info("watchdog enabled", metadata: ["interval_ms": "\(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)"])
        // The sleep must end as soon as shutdown begins, or stopping would wait out the interval.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for loop in group.makeIterator() {
                    try await loop.submit {}.get()
                }
                notifier.watchdogPing()
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// The first service to hear about a graceful shutdown: tells systemd (STOPPING=1) and
/// wakes long-polling clients so the server can drain promptly.
public struct ShutdownAnnouncer: Service {
    let manager: AgentManager
    let notifier: SystemdNotifier
    let logger: Logger

    public init(manager: AgentManager, notifier: SystemdNotifier, logger: Logger) {
        self.manager = manager
        self.notifier = notifier
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        logger.notice("shutting down", metadata: ["policy": "\(manager.settings.releaseOnShutdown ? "release" : "leave")", "agents": "\(manager.list().count)"])
        notifier.stopping(status: "stopping: \(manager.statusLine)")
        manager.beginShutdown()
    }
}

/// Rewrites the registry every heartbeat interval, so the reaper can tell a live
/// supervisor from a dead or wedged one.
public struct RegistryHeartbeatService: Service {
    let manager: AgentManager
    let interval: Duration

    public init(manager: AgentManager, interval: Duration) {
        self.manager = manager
        self.interval = interval
    }

    public func run() async throws {
        guard let registry = manager.registry else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                try? await registry.flush()
            }
        }
    }
}
