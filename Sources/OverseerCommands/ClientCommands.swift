import ArgumentParser

/// The `overseer` subcommands that need no supervisor code: those that talk to a running
/// supervisor, and `config`. `serve` and `reap` live in the executable.
public enum ClientCommands {
    /// Commands that talk to the supervisor over its socket.
    public static let supervisor: [any ParsableCommand.Type] = [
        SpawnCommand.self, PsCommand.self, SendCommand.self, LogsCommand.self, ScreenCommand.self, AttachCommand.self,
        ReleaseCommand.self, DispatchCommand.self, HandoffCommand.self,
    ]
    /// `overseer config`: the effective configuration.
    public static let config: any ParsableCommand.Type = ConfigCommand.self
}
