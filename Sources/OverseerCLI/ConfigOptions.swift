import ArgumentParser
import Foundation
import OverseerConfig

/// `--config PATH`, shared by every command that needs the effective configuration.
struct ConfigFileOption: ParsableArguments {
    @Option(name: .customLong("config"), help: "Configuration file (default: /etc/overseer/overseer.toml if it exists; or $OVERSEER_CONFIG).")
    var path: String?

    /// Loads defaults ← file ← OVERSEER_* environment ← flags.
    func load(flags: [String: FlagValue] = [:]) throws -> ResolvedConfig {
        let loader = ConfigLoader.forCurrentProcess()
        let path = self.path ?? ProcessInfo.processInfo.environment["OVERSEER_CONFIG"]
        do {
            return try loader.load(configPath: path, flags: flags)
        } catch {
            throw CLIError(error.description, exitCode: 1)
        }
    }
}

/// Options of every client command: where the supervisor listens, and output format.
struct ClientOptions: ParsableArguments {
    @OptionGroup var config: ConfigFileOption

    @Option(name: .customLong("socket"), help: "The supervisor's socket (default: socket_path from the configuration).")
    var socket: String?

    @Flag(name: .customLong("json"), help: "Print JSON for scripts instead of tables.")
    var json = false

    @Option(name: .customLong("idempotency-key"), help: "Idempotency-Key for this command's change (default: a fresh one, reused by its own retries).")
    var idempotencyKey: String?

    func client() throws -> SupervisorClient {
        if let socket { return SupervisorClient(socketPath: socket, idempotencyKey: idempotencyKey) }
        return SupervisorClient(socketPath: try config.load().config.socketPath, idempotencyKey: idempotencyKey)
    }
}

/// An error the CLI reports on stderr with a specific exit code.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}

extension AsyncParsableCommand {
    /// Runs a command body, printing CLIErrors as `overseer: message` with their exit code.
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("overseer: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
