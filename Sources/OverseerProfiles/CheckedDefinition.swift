/// One `ProfileDefinition` with every value checked, still partial (nil = inherit).
struct CheckedDefinition {
    var commands: [String]?
    var interactiveOnly: Bool?
    var readiness: Readiness?
    var rules: [ScreenRule]?
    var fallbackState: AgentState?
    var pastePlaceholder: ProfileRegex?
    var inputMarker: ProfileRegex?
    var submitDelayMs: Int?
    var enterRetries: Int?
    var quietSeconds: Double?
    var bracketedPaste: Bool?
    var newline: NewlineKey?

    /// Checks `definition`, naming `profile` and the field in any error.
    init(_ definition: ProfileDefinition, profile: String) throws(ProfileError) {
        if let commands = definition.commands {
            if let empty = commands.firstIndex(where: { $0.trimmingWhitespace().isEmpty }) {
                throw .invalidValue(profile: profile, field: "commands[\(empty)]", value: commands[empty], expected: "a non-empty command pattern")
            }
            self.commands = commands
        }
        interactiveOnly = definition.interactiveOnly
        if let ready = definition.ready {
            guard let readiness = Readiness(rawValue: ready) else {
                throw .invalidValue(profile: profile, field: "ready", value: ready, expected: Readiness.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.readiness = readiness
        }
        if let fallback = definition.fallbackState {
            fallbackState = try Self.ruleState(fallback, profile: profile, field: "fallback_state")
        }
        if let pattern = definition.pastePlaceholder {
            pastePlaceholder = try Self.regex(pattern, profile: profile, field: "paste_placeholder")
        }
        if let pattern = definition.inputMarker {
            inputMarker = try Self.regex(pattern, profile: profile, field: "input_marker")
        }
        if let delay = definition.submitDelayMs {
            guard (0...10_000).contains(delay) else {
                throw .invalidValue(profile: profile, field: "submit_delay_ms", value: String(delay), expected: "milliseconds from 0 to 10000")
            }
            submitDelayMs = delay
        }
        if let retries = definition.enterRetries {
            guard (0...10).contains(retries) else {
                throw .invalidValue(profile: profile, field: "enter_retries", value: String(retries), expected: "a count from 0 to 10")
            }
            enterRetries = retries
        }
        if let quiet = definition.quietSeconds {
            guard quiet > 0, quiet <= 3600 else {
                throw .invalidValue(profile: profile, field: "quiet_seconds", value: String(quiet), expected: "seconds above 0, at most 3600")
            }
            quietSeconds = quiet
        }
        bracketedPaste = definition.bracketedPaste
        if let newline = definition.newline {
            guard let key = NewlineKey(rawValue: newline) else {
                throw .invalidValue(profile: profile, field: "newline", value: newline, expected: NewlineKey.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.newline = key
        }
        if let rules = definition.rules {
            var seen: Set<String> = []
            var checked: [ScreenRule] = []
            for (index, rule) in rules.enumerated() {
                let compiled = try Self.rule(rule, index: index, profile: profile)
                guard seen.insert(compiled.name).inserted else {
                    throw .invalidValue(profile: profile, field: "rules[\(index)].name", value: compiled.name, expected: "a name no other rule of this profile has")
                }
                checked.append(compiled)
            }
            self.rules = checked
        }
    }

    /// `child`'s fields where it sets them, these elsewhere; rules merged by name, the
    /// child's new rules ahead of the inherited ones.
    func overridden(by child: CheckedDefinition) -> CheckedDefinition {
        var result = self
        result.commands = child.commands ?? commands
        result.interactiveOnly = child.interactiveOnly ?? interactiveOnly
        result.readiness = child.readiness ?? readiness
        result.fallbackState = child.fallbackState ?? fallbackState
        result.pastePlaceholder = child.pastePlaceholder ?? pastePlaceholder
        result.inputMarker = child.inputMarker ?? inputMarker
        result.submitDelayMs = child.submitDelayMs ?? submitDelayMs
        result.enterRetries = child.enterRetries ?? enterRetries
        result.quietSeconds = child.quietSeconds ?? quietSeconds
        result.bracketedPaste = child.bracketedPaste ?? bracketedPaste
        result.newline = child.newline ?? newline
        if let childRules = child.rules {
            var inherited = rules ?? []
            var added: [ScreenRule] = []
            for rule in childRules {
                if let index = inherited.firstIndex(where: { $0.name == rule.name }) {
                    inherited[index] = rule
                } else {
                    added.append(rule)
                }
            }
            // The derived profile's own rules come first, so they win priority ties.
            result.rules = added + inherited
        }
        return result
    }

    private static func rule(_ rule: RuleDefinition, index: Int, profile: String) throws(ProfileError) -> ScreenRule {
        let field = "rules[\(index)]"
        guard !rule.name.trimmingWhitespace().isEmpty else { throw .missingField(profile: profile, field: "\(field).name") }
        /// The field, and the rule by name (`rules[0].regex (rule 'asks')`).
        func named(_ key: String?) -> String { (key.map { "\(field).\($0)" } ?? field) + " (rule '\(rule.name)')" }
        let state = try ruleState(rule.state, profile: profile, field: named("state"))
        let regionText = rule.region ?? "screen"
        guard let region = ScreenRegion(parsing: regionText) else {
            throw .unknownRegion(profile: profile, field: named("region"), value: regionText)
        }
        let matcher: LineMatcher
        switch (rule.regex, rule.contains) {
        case (let pattern?, nil):
            matcher = .regex(try regex(pattern, profile: profile, field: named("regex")))
        case (nil, let literal?):
            guard !literal.isEmpty else {
                throw .invalidValue(profile: profile, field: named("contains"), value: literal, expected: "a non-empty text")
            }
            matcher = .contains(literal)
        case (nil, nil):
            throw .missingField(profile: profile, field: "\(field).regex or \(field).contains (rule '\(rule.name)')")
        case (_?, _?):
            throw .invalidValue(profile: profile, field: named(nil), value: "both regex and contains", expected: "exactly one of regex, contains")
        }
        return ScreenRule(name: rule.name, state: state, priority: rule.priority ?? 0, region: region, matcher: matcher, requireQuiet: rule.requireQuiet ?? false)
    }

    private static func ruleState(_ text: String, profile: String, field: String) throws(ProfileError) -> AgentState {
        guard let state = AgentState(rawValue: text), AgentState.ruleStates.contains(state) else {
            throw .unknownState(profile: profile, field: field, value: text)
        }
        return state
    }

    private static func regex(_ pattern: String, profile: String, field: String) throws(ProfileError) -> ProfileRegex {
        do {
            return try ProfileRegex(pattern)
        } catch {
            throw .badRegex(profile: profile, field: field, pattern: pattern, reason: error.reason)
        }
    }
}
