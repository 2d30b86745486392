#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import OverseerProfiles
import OverseerSystem
import SystemPackage
import TOMLKit

/// Builds the effective configuration from, in increasing precedence: built-in
/// defaults, the TOML file, `OVERSEER_*` environment variables, and flags.
public struct ConfigLoader: Sendable {
    /// The file read when no `--config` path is given, if it exists.
    public static let standardFilePath = "/etc/overseer/overseer.toml"

    /// Environment used for `OVERSEER_*` overrides and path defaults.
    public var environment: [String: String]
    /// User id the defaults are computed for (root gets system paths).
    public var uid: UInt32
    /// File read when `configPath` is nil; its absence is not an error.
    public var defaultFilePath: String

    public init(environment: [String: String], uid: UInt32, defaultFilePath: String = ConfigLoader.standardFilePath) {
        self.environment = environment
        self.uid = uid
        self.defaultFilePath = defaultFilePath
    }

    /// A loader for this process: its environment and real user id.
    public static func forCurrentProcess(defaultFilePath: String = ConfigLoader.standardFilePath) -> ConfigLoader {
        ConfigLoader(environment: ProcessInfo.processInfo.environment, uid: UInt32(getuid()), defaultFilePath: defaultFilePath)
    }

    /// Loads the effective configuration.
    ///
    /// - Parameters:
    ///   - configPath: The `--config` argument. When given, the file must exist and be
    ///     readable; when nil, ``defaultFilePath`` is read if it exists.
    ///   - flags: Command-line overrides keyed by TOML key name (e.g. `"socket_path"`),
    ///     each carrying the raw text and the flag's spelling for source labels.
    ///     Values are parsed like environment variables (lists comma-separated).
    /// - Throws: The first ``ConfigError`` found; file problems are reported before
    ///   environment problems, and those before flag problems.
    public func load(configPath: String?, flags: [String: FlagValue] = [:]) throws(ConfigError) -> ResolvedConfig {
        let defaults = DefaultPaths(environment: environment, uid: uid)
        var config = defaults.config
        var sources = Dictionary(uniqueKeysWithValues: ConfigKeys.all.map { ($0.name, ConfigSource.defaultValue) })
        var warnings = defaults.warnings
        var profiles = ProfileCatalog.builtIn

        let filePath: String?
        if let configPath {
            guard let text = try readFile(configPath) else { throw .fileNotFound(path: configPath) }
            profiles = try applyFile(text, path: configPath, to: &config, sources: &sources)
            filePath = configPath
        } else if let text = try readFile(defaultFilePath) {
            profiles = try applyFile(text, path: defaultFilePath, to: &config, sources: &sources)
            filePath = defaultFilePath
        } else {
            filePath = nil
        }

        // An old name first, so that the key's own name wins when both are set.
        let environmentOrder = environment.sorted { (ConfigKeys.isAlias(envKeyName($0.key)) ? 0 : 1, $0.key) < (ConfigKeys.isAlias(envKeyName($1.key)) ? 0 : 1, $1.key) }
        for (name, value) in environmentOrder {
            guard name.hasPrefix(ConfigKeys.environmentPrefix),
                  !ConfigKeys.ignoredEnvironmentNames.contains(name) else { continue }
            guard let key = ConfigKeys.byEnvironmentName[name] else {
                warnings.append(unknownVariableWarning(name))
                continue
            }
            try key.apply(text: value, to: &config, source: .environment(name))
            sources[key.name] = .environment(name)
        }

        for (name, flag) in flags.sorted(by: { (ConfigKeys.isAlias($0.key) ? 0 : 1, $0.key) < (ConfigKeys.isAlias($1.key) ? 0 : 1, $1.key) }) {
            guard let key = ConfigKeys.byName[name] else { throw .unknownFlagKey(key: name, flag: flag.flag) }
            try key.apply(text: flag.value, to: &config, source: .flag(flag.flag))
            sources[key.name] = .flag(flag.flag)
        }

        // Paths whose defaults live under state_dir follow it wherever it was set.
        if sources["registry_path"] == .defaultValue { config.registryPath = config.stateDir + "/registry.json" }
        if sources["metrics_textfile"] == .defaultValue { config.metricsTextfile = config.stateDir + "/metrics/overseer-reap.prom" }
        return ResolvedConfig(config: config, sources: sources, warnings: warnings, filePath: filePath, profiles: profiles)
    }

    /// Parses the file text and applies every key in it; returns the profile catalog with the
    /// file's `[profiles.NAME]` tables. Unknown keys are reported before bad values, and those
    /// before bad profiles.
    private func applyFile(
        _ text: String, path: String, to config: inout OverseerConfig, sources: inout [String: ConfigSource]
    ) throws(ConfigError) -> ProfileCatalog {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            throw .syntaxError(file: path, line: position.line, column: position.column, message: error.description)
        } catch {
            throw .syntaxError(file: path, line: 0, column: 0, message: String(describing: error))
        }
        // An old name first, so that the key's own name wins when both are set.
        let keys = table.keys.sorted { (ConfigKeys.isAlias($0) ? 0 : 1, $0) < (ConfigKeys.isAlias($1) ? 0 : 1, $1) }
        for name in keys where ConfigKeys.byName[name] == nil && name != ConfigLoader.profilesKey {
            throw .unknownKey(key: name, file: path, suggestion: suggestion(for: name, among: OverseerConfig.keyNames))
        }
        for name in keys {
            guard let key = ConfigKeys.byName[name], let value = table[name] else { continue }
            try key.apply(toml: value, to: &config, source: .file(path))
            sources[key.name] = .file(path)
        }
        guard let value = table[ConfigLoader.profilesKey] else { return .builtIn }
        guard let profilesTable = value.table else {
            throw .invalidProfile(file: path, reason: "'profiles' must be a table of [profiles.NAME] tables")
        }
        do {
            return try ProfileCatalog(profilesTable: profilesTable)
        } catch {
            throw .invalidProfile(file: path, reason: error.description)
        }
    }

    /// The file's table of agent profiles (`[profiles.NAME]`), checked by ``ProfileCatalog``.
    public static let profilesKey = "profiles"

    private func unknownVariableWarning(_ name: String) -> String {
        let word = String(name.dropFirst(ConfigKeys.environmentPrefix.count))
        let hint = suggestion(for: word, among: OverseerConfig.keyNames).map {
            " (did you mean \(ConfigKeys.environmentPrefix + $0.uppercased())?)"
        } ?? ""
        return "unknown environment variable \(name) ignored\(hint)"
    }
}

/// The key name an `OVERSEER_*` variable stands for (`OVERSEER_KILL_GRACE_SECONDS` → `kill_grace_seconds`).
private func envKeyName(_ variable: String) -> String {
    String(variable.dropFirst(ConfigKeys.environmentPrefix.count)).lowercased()
}

/// The file's text, or nil when it does not exist.
/// Throws ``ConfigError/unreadableFile(path:reason:)`` when it exists but cannot be read as UTF-8 text.
private func readFile(_ path: String) throws(ConfigError) -> String? {
    let bytes: [UInt8]
    do {
        bytes = try FilePath(path).readContents()
    } catch {
        if error.errno == .noSuchFileOrDirectory { return nil }
        throw .unreadableFile(path: path, reason: error.reason)
    }
    if bytes.contains(0) { throw .unreadableFile(path: path, reason: "contains a NUL byte; not a text file") }
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw .unreadableFile(path: path, reason: "not valid UTF-8")
    }
    return text
}
