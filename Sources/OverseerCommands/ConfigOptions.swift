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

    /// Loads defaults ← file ← OVERSEER_* environment ← flags. A bad flag value (such as a
    /// relative `--registry`) or a `--config` file that does not exist is a usage error (64);
    /// a bad file or environment variable exits 1.
    public func load(flags: [String: FlagValue] = [:]) throws -> ResolvedConfig {
        let loader = ConfigLoader.forCurrentProcess()
        let path = self.path ?? ProcessInfo.processInfo.environment["OVERSEER_CONFIG"]
        do {
            return try loader.load(configPath: path, flags: flags)
        } catch {
            throw CLIError(error.description, exitCode: Self.exitCode(for: error, flagPath: self.path))
        }
    }

    static func exitCode(for error: ConfigError, flagPath: String?) -> Int32 {
        switch error {
        case .invalidValue(_, _, _, .flag): 64
        case .fileNotFound(let missing) where missing == flagPath: 64
        default: 1
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

    @Option(name: .customLong("retry-timeout"), help: ArgumentHelp("How long to keep retrying while the socket exists but the supervisor does not answer (0-\(Int(Self.maxRetrySeconds)); default \(Int(Self.defaultRetrySeconds))). A missing socket fails at once.", valueName: "seconds"))
    var retryTimeout: Double?

    static let defaultRetrySeconds: Double = 30
    static let maxRetrySeconds: Double = 3600

    func validate() throws {
        if let retryTimeout, !(retryTimeout.isFinite && (0...Self.maxRetrySeconds).contains(retryTimeout)) {
            throw ValidationError("--retry-timeout must be seconds from 0 to \(Int(Self.maxRetrySeconds)), not \(retryTimeout)")
        }
    }

    func client() throws -> SupervisorClient {
        let path = try socket ?? config.load().config.socketPath
        var client = SupervisorClient(socketPath: path, idempotencyKey: idempotencyKey)
        let seconds = retryTimeout ?? Self.defaultRetrySeconds
        client.retryWindow = .milliseconds(Int64((seconds * 1000).rounded()))
        client.onWaiting = { path, _ in
            let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
            FileHandle.standardError.write(Data("overseer: waiting for the supervisor at \(TerminalSafe.escape(path)) (up to \(shown) s)\n".utf8))
        }
        return client
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
    /// 64 a request the supervisor found malformed (400: the command's input was wrong),
    /// 9 not stored (507: the state directory or its disk is the problem), else 1.
    init(_ error: SupervisorCallError) {
        if error.status == 507 {
            self.init("the supervisor could not store the change durably: \(error.description)\n"
                + "(the supervisor is running; its state directory, or the disk holding it, is full or not writable)", exitCode: 9)
            return
        }
        let code: Int32 = switch error {
        case .unreachable: 3
        case .refused(let status, _, _, _): status == 404 ? 4 : status == 409 ? 5 : status == 503 ? 3 : status == 400 ? 64 : 1
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
