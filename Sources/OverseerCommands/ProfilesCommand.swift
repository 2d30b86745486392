import ArgumentParser
import OverseerConfig
import OverseerProfiles

/// `overseer profiles`: the profiles the configuration gives `overseer serve`, where each
/// comes from, and which commands it is detected for.
struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the agent profiles: built-in ones and the configuration file's [profiles.NAME] tables.",
        discussion: """
        Read from the configuration (as `overseer serve` would read it now), not from a running \
        supervisor. A bad profile is an error naming the profile, the rule and what is wrong. \
        `spawn --profile NAME` picks one; otherwise the first whose commands match the program \
        (configuration profiles are tried before built-in ones, generic last).
        """
    )

    @OptionGroup var config: ConfigFileOption
    @Flag(name: .customLong("json"), help: "Print JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            let catalog = try config.load().profiles
            let entries = catalog.names.compactMap { catalog.profiles[$0] }.map { ProfileEntry($0, catalog: catalog) }
            if json { return try printJSON(ProfileList(profiles: entries)) }
            let rows = entries.map { entry in
                [entry.name, entry.source, entry.extends.isEmpty ? "-" : entry.extends.joined(separator: " < "),
                 entry.commands.isEmpty ? "-" : entry.commands.joined(separator: " ") + (entry.interactiveOnly ? " (interactive)" : ""),
                 entry.rules.map(\.name).joined(separator: ", ")]
            }
            print(Table.render(header: ["NAME", "SOURCE", "EXTENDS", "COMMANDS", "RULES"], rows: rows))
        }
    }
}

/// `overseer profiles --json`.
struct ProfileList: Encodable {
    var profiles: [ProfileEntry]
}

/// One profile as `overseer profiles` shows it.
struct ProfileEntry: Encodable {
    struct Rule: Encodable {
        var name: String
        var state: String
        var priority: Int
        var region: String
        var match: String
        var requireQuiet: Bool

        enum CodingKeys: String, CodingKey {
            case name, state, priority, region, match
            case requireQuiet = "require_quiet"
        }
    }

    var name: String
    /// `built-in`, `config` (a new profile) or `config (changes built-in)`.
    var source: String
    var extends: [String]
    var commands: [String]
    var interactiveOnly: Bool
    var ready: String
    var fallbackState: String
    var submitDelayMs: Int
    var quietSeconds: Double
    var rules: [Rule]

    init(_ profile: Profile, catalog: ProfileCatalog) {
        name = profile.name
        let custom = catalog.customNames.contains(profile.name)
        let builtIn = ProfileCatalog.builtIn.profiles[profile.name] != nil
        source = custom ? (builtIn ? "config (changes built-in)" : "config") : "built-in"
        extends = profile.bases
        commands = profile.commands
        interactiveOnly = profile.interactiveOnly
        ready = profile.readiness.rawValue
        fallbackState = profile.fallbackState.rawValue
        submitDelayMs = profile.submitDelayMs
        quietSeconds = profile.quietSeconds
        rules = profile.rules.map { rule in
            Rule(name: rule.name, state: rule.state.rawValue, priority: rule.priority, region: "\(rule.region)", match: rule.matcher.description, requireQuiet: rule.requireQuiet)
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, source, extends, commands, ready, rules
        case interactiveOnly = "interactive_only"
        case fallbackState = "fallback_state"
        case submitDelayMs = "submit_delay_ms"
        case quietSeconds = "quiet_seconds"
    }
}
