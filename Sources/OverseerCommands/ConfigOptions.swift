import ArgumentParser
import Foundation
import OverseerDisplay
import OverseerClient
import OverseerConfig

/// `--config PATH`, shared by every command that needs the effective configuration.
public struct ConfigFileOption: ParsableArguments {
    @Option(name: .customLong("config"), help: "Configuration file (default: /etc/overseer/overseer.toml if it exists; or $OVERSEER_CONFIG).")
    public var path: String?

    public init() {}

    /// Loads defaults ← file ← OVERSEER_* environment ← flags.
    public func load(flags: [String: FlagValue] = [:]) throws -> ResolvedConfig {
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
public struct CLIError: Error, CustomStringConvertible {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }

    /// A failed call to the supervisor: 3 unreachable (or 503), 4 not found, 5 conflict,
    /// 9 not stored (507: the state directory or its disk is the problem), else 1.
    init(_ error: SupervisorCallError) {
        if error.status == 507 {
            self.init("the supervisor could not store the change durably: \(error.description)\n"
                + "(the supervisor is running; its state directory, or the disk holding it, is full or not writable)", exitCode: 9)
            return
        }
        let code: Int32 = switch error {
        case .unreachable: 3
        case .refused(let status, _, _, _): status == 404 ? 4 : status == 409 ? 5 : status == 503 ? 3 : 1
        case .unexpected: 1
        }
        self.init(error.description, exitCode: code)
    }
}

extension AsyncParsableCommand {
    /// Runs a command body, printing CLIErrors (and failed supervisor calls) as
    /// `overseer: message` with their exit code.
    public func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("overseer: \(TerminalSafe.escape(error.message, keepingNewlines: true))\n".utf8))
            throw ExitCode(error.exitCode)
        } catch let error as SupervisorCallError {
            let error = CLIError(error)
            FileHandle.standardError.write(Data("overseer: \(TerminalSafe.escape(error.message, keepingNewlines: true))\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}

/// Prints a value as pretty JSON with sorted keys.
public func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
