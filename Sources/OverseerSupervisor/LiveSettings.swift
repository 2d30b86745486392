import Logging
import Synchronization

/// The settings a running supervisor reads at the moment it uses them, so that a SIGHUP
/// reload can change those that may change at run time (see `SupervisorSettings.adoptingRuntimeValues`).
public final class LiveSettings: Sendable {
    private let state: Mutex<SupervisorSettings>

    public init(_ settings: SupervisorSettings) {
        state = Mutex(settings)
    }

    /// The settings in force now.
    public var current: SupervisorSettings { state.withLock { $0 } }

    /// Takes the run-time values of `new`; the rest stays as it was at start-up.
    func adopt(_ new: SupervisorSettings) {
        state.withLock { $0 = $0.adoptingRuntimeValues(of: new) }
    }
}

extension SupervisorSettings {
    /// These settings with the values that may change while the supervisor runs taken from
    /// `new`: limits and defaults of new spawns, release (grace, protected pids and pidfiles,
    /// shutdown policy), delivery timing and queue cap, checkpoint retention and the profiles
    /// of new spawns. Paths, stores, cgroups and the HTTP server's limits stay as they were
    /// at start-up.
    public func adoptingRuntimeValues(of new: SupervisorSettings) -> SupervisorSettings {
        var settings = self
        settings.outputBufferBytes = new.outputBufferBytes
        settings.transcriptMaxBytes = new.transcriptMaxBytes
        settings.maxAgents = new.maxAgents
        settings.defaultRows = new.defaultRows
        settings.defaultCols = new.defaultCols
        settings.killGraceSeconds = new.killGraceSeconds
        settings.protectedPIDs = new.protectedPIDs
        settings.protectedPidfiles = new.protectedPidfiles
        settings.releaseOnShutdown = new.releaseOnShutdown
        settings.maxPendingDeliveries = new.maxPendingDeliveries
        settings.deliveryTypedSeconds = new.deliveryTypedSeconds
        settings.deliveryReadySeconds = new.deliveryReadySeconds
        settings.deliveryIdleSeconds = new.deliveryIdleSeconds
        settings.checkpointRetentionSeconds = new.checkpointRetentionSeconds
        settings.profiles = new.profiles
        return settings
    }
}

/// The minimum log level of every logger made by `JournalLogHandler` with this control; a
/// SIGHUP reload changes it for all of them at once.
public final class LogLevelControl: Sendable {
    private let state: Mutex<Logger.Level>

    public init(_ level: Logger.Level) {
        state = Mutex(level)
    }

    public var level: Logger.Level {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
