/// A profile that cannot be used, naming the profile and the field that is wrong.
public enum ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The profiles table is not valid TOML.
    case malformedTOML(reason: String)
    /// A field holds a value of the wrong type (for example a string where a number belongs).
    case wrongType(profile: String, field: String, reason: String)
    /// A key the profile format does not have (a typo would otherwise be ignored silently).
    case unknownField(profile: String, field: String)
    /// A field required by a rule is absent.
    case missingField(profile: String, field: String)
    /// A `state` that is not `idle`, `working` or `blocked` (or, for `fallback_state`, also not `starting`).
    case unknownState(profile: String, field: String, value: String)
    /// A regular expression that does not compile.
    case badRegex(profile: String, field: String, pattern: String, reason: String)
    /// A `region` that is none of `screen`, `title`, `cursor_line`, `last_lines:N`, `lines:A..B`.
    case unknownRegion(profile: String, field: String, value: String)
    /// `extends` names a profile that is neither built in nor defined.
    case unknownBaseProfile(profile: String, base: String)
    /// Profiles that extend each other in a loop.
    case extendsCycle(chain: [String])
    /// A value outside what the field accepts.
    case invalidValue(profile: String, field: String, value: String, expected: String)
    /// A profile asked for by name (`--profile NAME`) that does not exist.
    case unknownProfile(name: String, known: [String])

    public var description: String {
        switch self {
        case .malformedTOML(let reason):
            return "profiles: the TOML does not parse: \(reason)"
        case .wrongType(let profile, let field, let reason):
            return "profile '\(profile)': \(field): \(reason)"
        case .unknownField(let profile, let field):
            return "profile '\(profile)': unknown field '\(field)'"
        case .missingField(let profile, let field):
            return "profile '\(profile)': \(field) is required"
        case .unknownState(let profile, let field, let value):
            return "profile '\(profile)': \(field): unknown state '\(value)' (expected idle, working or blocked)"
        case .badRegex(let profile, let field, let pattern, let reason):
            return "profile '\(profile)': \(field): bad regex '\(pattern)': \(reason)"
        case .unknownRegion(let profile, let field, let value):
            return "profile '\(profile)': \(field): unknown region '\(value)' (expected screen, title, cursor_line, last_lines:N or lines:A..B)"
        case .unknownBaseProfile(let profile, let base):
            return "profile '\(profile)': extends: unknown base profile '\(base)'"
        case .extendsCycle(let chain):
            return "profiles extend each other in a loop: \(chain.joined(separator: " -> "))"
        case .invalidValue(let profile, let field, let value, let expected):
            return "profile '\(profile)': \(field): '\(value)' is not valid (expected \(expected))"
        case .unknownProfile(let name, let known):
            return "unknown profile '\(name)' (known: \(known.joined(separator: ", ")))"
        }
    }
}
