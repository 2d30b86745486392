/// The profiles an agent can be given: the built-in ones, plus those of the configuration
/// file, which may add profiles or change built-in ones without rebuilding.
///
/// Inheritance: a custom profile starts from its `extends` profile (`extends = "generic"`
/// brings generic's prompt and quiet-output rules); without `extends`, a table named like a
/// built-in profile starts from that built-in (so `[profiles.codex]` with only
/// `submit_delay_ms = 500` changes just that), and any other starts empty (only its own
/// rules, default settings). Scalar fields override; rules merge by name (same name
/// replaces, new names are added). Built-in profiles stand alone: Codex's screen does not
/// inherit generic's guesses.
public struct ProfileCatalog: Sendable, Equatable {
    /// Every usable profile, by name.
    public let profiles: [String: Profile]
    /// Custom profile names (the configuration's tables, including those that change a
    /// built-in profile), sorted: detection tries them before the built-in ones.
    public let customNames: [String]

    /// The built-in profiles and `custom` (the `[profiles.*]` tables), all checked.
    public init(custom: [String: ProfileDefinition] = [:]) throws(ProfileError) {
        var resolver = ProfileResolver(custom: custom)
        var profiles: [String: Profile] = [:]
        for name in Set(BuiltInProfiles.definitions.keys).union(custom.keys).sorted() {
            profiles[name] = try resolver.effective(name).finished(name: name)
        }
        self.profiles = profiles
        self.customNames = custom.keys.sorted()
    }

    /// The built-in profiles alone.
    public static let builtIn: ProfileCatalog = {
        do { return try ProfileCatalog() } catch { preconditionFailure("built-in profiles must be valid: \(error)") }
    }()

    /// All profile names, sorted.
    public var names: [String] { profiles.keys.sorted() }

    /// The profile called `name` (`--profile NAME`).
    public func profile(named name: String) throws(ProfileError) -> Profile {
        guard let profile = profiles[name] else { throw .unknownProfile(name: name, known: names) }
        return profile
    }
}

/// Walks `extends` chains, checking each definition once under its own name.
struct ProfileResolver {
    let custom: [String: ProfileDefinition]
    private var resolved: [String: ProfileLayers] = [:]
    private var resolvedBuiltIn: [String: ProfileLayers] = [:]

    init(custom: [String: ProfileDefinition]) {
        self.custom = custom
    }

    /// The profile `name` as the catalog offers it (a custom table wins over a built-in one).
    mutating func effective(_ name: String, visiting: [String] = []) throws(ProfileError) -> ProfileLayers {
        if let done = resolved[name] { return done }
        guard !visiting.contains(name) else { throw .extendsCycle(chain: visiting + [name]) }
        let layers: ProfileLayers
        if let definition = custom[name] {
            let own = try CheckedDefinition(definition, profile: name)
            guard let baseName = definition.extends ?? (BuiltInProfiles.definitions[name] != nil ? name : nil) else {
                layers = ProfileLayers(merged: own, bases: [])
                resolved[name] = layers
                return layers
            }
            let base: ProfileLayers
            if baseName == name {
                guard BuiltInProfiles.definitions[name] != nil else { throw .unknownBaseProfile(profile: name, base: baseName) }
                base = try builtIn(name)
            } else {
                guard custom[baseName] != nil || BuiltInProfiles.definitions[baseName] != nil else {
                    throw .unknownBaseProfile(profile: name, base: baseName)
                }
                base = try effective(baseName, visiting: visiting + [name])
            }
            layers = base.adding(own, named: baseName)
        } else if BuiltInProfiles.definitions[name] != nil {
            layers = try builtIn(name)
        } else {
            throw .unknownProfile(name: name, known: Set(BuiltInProfiles.definitions.keys).union(custom.keys).sorted())
        }
        resolved[name] = layers
        return layers
    }

    private mutating func builtIn(_ name: String) throws(ProfileError) -> ProfileLayers {
        if let done = resolvedBuiltIn[name] { return done }
        guard let definition = BuiltInProfiles.definitions[name] else { throw .unknownProfile(name: name, known: BuiltInProfiles.definitions.keys.sorted()) }
        let own = try CheckedDefinition(definition, profile: name)
        let layers: ProfileLayers
        if let baseName = definition.extends {
            layers = try builtIn(baseName).adding(own, named: baseName)
        } else {
            layers = ProfileLayers(merged: own, bases: [])
        }
        resolvedBuiltIn[name] = layers
        return layers
    }
}

/// A definition merged with its bases, and the names of those bases, nearest first.
struct ProfileLayers {
    var merged: CheckedDefinition
    var bases: [String]

    func adding(_ child: CheckedDefinition, named baseName: String) -> ProfileLayers {
        ProfileLayers(merged: merged.overridden(by: child), bases: [baseName] + bases)
    }

    func finished(name: String) -> Profile {
        let rules = merged.rules ?? []
        let ordered = rules.enumerated().sorted { lhs, rhs in
            lhs.element.priority != rhs.element.priority ? lhs.element.priority > rhs.element.priority : lhs.offset < rhs.offset
        }.map(\.element)
        return Profile(
            name: name,
            bases: bases,
            commands: merged.commands ?? [],
            interactiveOnly: merged.interactiveOnly ?? false,
            readiness: merged.readiness ?? .ruleOrLeftCookedMode,
            rules: ordered,
            fallbackState: merged.fallbackState ?? .working,
            pastePlaceholder: merged.pastePlaceholder,
            inputMarker: merged.inputMarker,
            submitDelayMs: merged.submitDelayMs ?? Profile.defaultSubmitDelayMs,
            enterRetries: merged.enterRetries ?? Profile.defaultEnterRetries,
            quietSeconds: merged.quietSeconds ?? Profile.defaultQuietSeconds,
            bracketedPaste: merged.bracketedPaste ?? true,
            newline: merged.newline ?? .lf
        )
    }
}
