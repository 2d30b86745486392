/// A profile as written in the configuration file, `[profiles.NAME]`, before it is checked.
///
/// Every field is optional: a field left out is inherited from the base profile (`extends`,
/// or, for a table named like a built-in profile, that built-in), else takes its default.
/// Values are plain strings here; ``ProfileCatalog`` checks them and reports the profile
/// and field of anything wrong.
///
/// ```toml
/// [profiles.mytool]
/// extends = "generic"
/// commands = ["mytool", "mytool-*"]
/// submit_delay_ms = 400
/// paste_placeholder = '\[Pasted text #\d+ \+\d+ lines\]'
///
/// [[profiles.mytool.rules]]
/// name = "asks-approval"
/// state = "blocked"
/// priority = 100
/// region = "last_lines:5"
/// regex = '(?i)approve\? \[y/n\]'
/// ```
public struct ProfileDefinition: Sendable, Equatable, Codable {
    /// The profile this one starts from.
    public var extends: String?
    /// Glob patterns (`*`, `?`) matched against the basename of argv[0], or against the
    /// script or module an interpreter runs (`node …/codex.js`, `python3 -m aider`).
    public var commands: [String]?
    /// Match `commands` only for interactive use: no script operand, or `-i` given
    /// (`bash`, `python3 -i`, but not `bash build.sh`).
    public var interactiveOnly: Bool?
    /// When the program has taken the terminal: `rule` (a rule matched), `left_cooked_mode`
    /// (the PTY left ICANON/ECHO and the screen is not empty) or `rule_or_left_cooked_mode`.
    public var ready: String?
    /// Screen rules; a rule named like one of the base profile's replaces it, others are added.
    public var rules: [RuleDefinition]?
    /// The state when the program is ready and no rule matches (`working` unless set).
    public var fallbackState: String?
    /// A regex for what the program shows instead of a long or multi-line paste.
    public var pastePlaceholder: String?
    /// A regex for the first row of the program's input area (Codex's `›` composer row);
    /// without one, the input area is the rows of the typed text that hold the cursor.
    public var inputMarker: String?
    /// Pause between the text and Enter, in milliseconds.
    public var submitDelayMs: Int?
    /// How many times Enter is pressed again when the text still sits in the input area.
    public var enterRetries: Int?
    /// Seconds of output quiet that rules with `require_quiet` wait for.
    public var quietSeconds: Double?
    /// Type as a bracketed paste when the program enabled it (default true).
    public var bracketedPaste: Bool?
    /// What a newline in the text is sent as when not pasting: `lf`, `cr`, `meta_enter`
    /// (ESC CR, "insert a newline" in prompt_toolkit and most agent TUIs) or `space`.
    public var newline: String?

    public init(extends: String? = nil, commands: [String]? = nil, interactiveOnly: Bool? = nil, ready: String? = nil, rules: [RuleDefinition]? = nil, fallbackState: String? = nil, pastePlaceholder: String? = nil, inputMarker: String? = nil, submitDelayMs: Int? = nil, enterRetries: Int? = nil, quietSeconds: Double? = nil, bracketedPaste: Bool? = nil, newline: String? = nil) {
        self.extends = extends
        self.commands = commands
        self.interactiveOnly = interactiveOnly
        self.ready = ready
        self.rules = rules
        self.fallbackState = fallbackState
        self.pastePlaceholder = pastePlaceholder
        self.inputMarker = inputMarker
        self.submitDelayMs = submitDelayMs
        self.enterRetries = enterRetries
        self.quietSeconds = quietSeconds
        self.bracketedPaste = bracketedPaste
        self.newline = newline
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case extends, commands, ready, rules, newline
        case interactiveOnly = "interactive_only"
        case fallbackState = "fallback_state"
        case pastePlaceholder = "paste_placeholder"
        case inputMarker = "input_marker"
        case submitDelayMs = "submit_delay_ms"
        case enterRetries = "enter_retries"
        case quietSeconds = "quiet_seconds"
        case bracketedPaste = "bracketed_paste"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        extends = try container.decodeIfPresent(String.self, forKey: .extends)
        commands = try container.decodeIfPresent([String].self, forKey: .commands)
        interactiveOnly = try container.decodeIfPresent(Bool.self, forKey: .interactiveOnly)
        ready = try container.decodeIfPresent(String.self, forKey: .ready)
        rules = try container.decodeIfPresent([RuleDefinition].self, forKey: .rules)
        fallbackState = try container.decodeIfPresent(String.self, forKey: .fallbackState)
        pastePlaceholder = try container.decodeIfPresent(String.self, forKey: .pastePlaceholder)
        inputMarker = try container.decodeIfPresent(String.self, forKey: .inputMarker)
        submitDelayMs = try container.decodeIfPresent(Int.self, forKey: .submitDelayMs)
        enterRetries = try container.decodeIfPresent(Int.self, forKey: .enterRetries)
        quietSeconds = try container.decodeSecondsIfPresent(forKey: .quietSeconds)
        bracketedPaste = try container.decodeIfPresent(Bool.self, forKey: .bracketedPaste)
        newline = try container.decodeIfPresent(String.self, forKey: .newline)
    }
}

/// One screen rule as written: where to look, what to look for, and what it means.
public struct RuleDefinition: Sendable, Equatable, Codable {
    /// Names the rule in `--explain` output and lets a derived profile replace it.
    public var name: String
    /// `idle`, `working` or `blocked`.
    public var state: String
    /// Higher wins when several rules match; ties go to the most derived profile's rule, then
    /// to the rule listed first.
    public var priority: Int?
    /// `screen` (default), `title`, `cursor_line`, `last_lines:N` or `lines:A..B`.
    public var region: String?
    /// A regular expression (ICU syntax) matched against each line of the region.
    public var regex: String?
    /// A literal matched against each line of the region (use exactly one of `regex`, `contains`).
    public var contains: String?
    /// The rule matches only once output has been quiet for the profile's `quiet_seconds`.
    public var requireQuiet: Bool?

    public init(name: String, state: String, priority: Int? = nil, region: String? = nil, regex: String? = nil, contains: String? = nil, requireQuiet: Bool? = nil) {
        self.name = name
        self.state = state
        self.priority = priority
        self.region = region
        self.regex = regex
        self.contains = contains
        self.requireQuiet = requireQuiet
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, state, priority, region, regex, contains
        case requireQuiet = "require_quiet"
    }
}

extension KeyedDecodingContainer {
    /// Seconds written either as a float (`1.5`) or an integer (`2`): TOML keeps them apart.
    func decodeSecondsIfPresent(forKey key: Key) throws -> Double? {
        guard contains(key) else { return nil }
        if let integer = try? decode(Int.self, forKey: key) { return Double(integer) }
        return try decode(Double.self, forKey: key)
    }
}
