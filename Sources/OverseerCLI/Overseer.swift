import ArgumentParser
import OverseerCommands

/// The `overseer` command: the supervisor (`serve`) and the client commands that talk to it.
@main
struct Overseer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overseer",
        abstract: "A process supervisor for AI agents: PTY agents, whole-tree release, an orphan reaper.",
        discussion: """
        Exit codes: 0 success; 1 error; 3 cannot reach the supervisor; 4 no such agent; \
        5 conflict (duplicate name, busy agent); 6 processes survived a release; 64 usage error. \
        `overseer wait` adds: 1 timed out, 2 the agent exited first.
        """,
        subcommands: [ServeCommand.self] + ClientCommands.supervisor + [
            ReapCommand.self, ClientCommands.config, ClientCommands.profiles,
        ]
    )
}
