import Logging
import NIOCore
import ServiceLifecycle

/// Runs the supervisor for the life of the service group: starts watching child exits, runs
/// the exit recorder and the delivery injectors, and on graceful shutdown applies the
/// shutdown policy (release agents, or leave them).
public struct SupervisorService: Service {
    let supervisor: Supervisor

    public init(supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    public func run() async throws {
        supervisor.start()
        await withDiscardingTaskGroup { group in
            group.addTask { await supervisor.run() }
            try? await gracefulShutdown()
            await supervisor.shutdown()
            group.cancelAll()
        }
    }
}

/// Keeps STATUS= current: re-sends the one-line summary on every agent event (no polling).
public struct StatusService: Service {
    let supervisor: Supervisor
    let notifier: SystemdNotifier

    public init(supervisor: Supervisor, notifier: SystemdNotifier) {
        self.supervisor = supervisor
        self.notifier = notifier
    }

    public func run() async throws {
        // Without a service manager there is nobody to tell.
        guard notifier.isActive else {
            try? await gracefulShutdown()
            return
        }
        let events = supervisor.events()
        await withGracefulShutdownHandler {
            var sent = ""
            for await _ in events.cancelOnGracefulShutdown() {
                let line = await supervisor.statusLine()
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
    let supervisor: Supervisor
    let notifier: SystemdNotifier
    let logger: Logger

    public init(supervisor: Supervisor, notifier: SystemdNotifier, logger: Logger) {
        self.supervisor = supervisor
        self.notifier = notifier
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        let agents = await supervisor.agentCount()
        logger.notice("shutting down", metadata: ["policy": "\(supervisor.settings.releaseOnShutdown ? "release" : "leave")", "agents": "\(agents)"])
        notifier.stopping(status: "stopping: \(await supervisor.statusLine())")
        await supervisor.beginShutdown()
    }
}

/// Rewrites the registry every heartbeat interval, so the reaper can tell a live
/// supervisor from a dead or wedged one; writes the changes nobody waits for as they are
/// asked for; and retries a failed write within a second.
public struct RegistryHeartbeatService: Service {
    let registry: RegistryWriter?
    let interval: Duration

    public init(supervisor: Supervisor, interval: Duration) {
        self.registry = supervisor.registry
        self.interval = interval
    }

    public func run() async throws {
        guard let registry else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in registry.flushRequests {
                        if await registry.lastWriteFailed { try? await Task.sleep(for: .seconds(1)) }
                        try? await registry.flush()
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        if Task.isCancelled { return }
                        try? await registry.flush()
                    }
                }
            }
        }
    }
}
