import ArgumentParser
import Foundation
import OverseerConfig

/// `overseer config`: the effective configuration and where each value came from.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Print the effective configuration, the source of each value, and the tracking mode.")

    @OptionGroup var config: ConfigFileOption
    @Flag(name: .customLong("json"), help: "Print JSON.") var json = false
    @Option(name: .customLong("get"), help: "Print only this key's value (e.g. socket_path).") var key: String?

    func run() async throws {
        try await reportingErrors {
            let resolved = try config.load()
            if let key {
                guard let value = resolved.value(of: key) else {
                    throw CLIError("unknown key \"\(key)\"; known keys: \(OverseerConfig.keyNames.joined(separator: ", "))", exitCode: 64)
                }
                print(value)
            } else if json {
                let tracking = await TrackingReport.take(resolved.config)
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.withoutEscapingSlashes]
                let trackingJSON = String(decoding: try encoder.encode(tracking), as: UTF8.self)
                print(resolved.renderJSON(extra: ["tracking": trackingJSON]), terminator: "")
            } else {
                print("config file: \(resolved.filePath ?? "(none)")")
                print(resolved.render(), terminator: resolved.render().hasSuffix("\n") ? "" : "\n")
                let custom = resolved.profiles.customNames
                print("profiles: \(resolved.profiles.names.joined(separator: ", "))" + (custom.isEmpty ? "" : " (from the file: \(custom.joined(separator: ", ")))"))
                print(await TrackingReport.take(resolved.config).text)
                for warning in resolved.warnings { print("warning: \(warning)") }
            }
        }
    }
}
