import ServiceLifecycle
import UnixSignals

/// SIGHUP: reload the configuration (`reload` does the work and logs what it changed and what
/// it refused). Never stops the supervisor; a SIGHUP during shutdown is ignored.
public struct ReloadService: Service {
    let reload: @Sendable () async -> Void

    public init(reload: @escaping @Sendable () async -> Void) {
        self.reload = reload
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            await reload()
        }
    }
}
