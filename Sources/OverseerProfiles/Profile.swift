import OverseerTerminal

/// A checked, ready-to-use profile: how to recognise the program, read its screen, and type into it.
public struct Profile: Sendable, Equatable {
    public var name: String
    /// The chain of profiles this one was built from, nearest first (`["generic"]` for a
    /// profile that extends generic directly).
    public var bases: [String]
    public var commands: [String]
    public var interactiveOnly: Bool
    public var readiness: Readiness
    /// Sorted: highest priority first; on a tie the most derived profile's rule, then the one listed first.
    public var rules: [ScreenRule]
    public var fallbackState: AgentState
    public var pastePlaceholder: ProfileRegex?
    public var inputMarker: ProfileRegex?
    public var submitDelayMs: Int
    public var enterRetries: Int
    public var quietSeconds: Double
    public var bracketedPaste: Bool
    public var newline: NewlineKey

    /// Seconds of quiet for `require_quiet` rules when no profile in the chain sets one.
    public static let defaultQuietSeconds = 2.0
    /// Pause between the text and Enter when no profile in the chain sets one. Codex 0.147.0
    /// turned an Enter less than ~12 ms after the text into a newline and submitted from ~17 ms
    /// on (issue 12, 16/16 at 33–416 ms); public reports on other versions speak of a ~120 ms
    /// paste-burst window; tmux users settle on 300 ms. 300 ms is 2.5× the widest reported
    /// window and 17× the measured need, and costs a person-imperceptible 0.3 s per message.
    public static let defaultSubmitDelayMs = 300
    /// Enter re-presses (never a retyped text) when the text stays in the input area.
    public static let defaultEnterRetries = 3
}

/// When a program counts as having taken the terminal (before that its state is `starting`).
public enum Readiness: String, Sendable, Equatable, CaseIterable {
    /// One of the profile's rules matched the screen.
    case rule
    /// The PTY's termios left cooked mode (ICANON or ECHO off) and the screen is not empty.
    case leftCookedMode = "left_cooked_mode"
    /// Either of the two.
    case ruleOrLeftCookedMode = "rule_or_left_cooked_mode"
}

/// How a newline inside the text is typed when the text is not sent as a bracketed paste.
public enum NewlineKey: String, Sendable, Equatable, CaseIterable {
    /// `\n` (Ctrl-J): a line feed, "end of this line" to readline, Python and cooked mode.
    case lf
    /// `\r`: what the Enter key sends.
    case cr
    /// `ESC \r` (Alt/Meta-Enter): "insert a newline" in prompt_toolkit programs and most agent TUIs.
    case metaEnter = "meta_enter"
    /// A space: the lines joined into one, when nothing else keeps them one message.
    case space

    var bytes: [UInt8] {
        switch self {
        case .lf: [0x0A]
        case .cr: [0x0D]
        case .metaEnter: [0x1B, 0x0D]
        case .space: [0x20]
        }
    }
}

/// What a rule looks for in each line of its region.
public enum LineMatcher: Sendable, Equatable, CustomStringConvertible {
    case regex(ProfileRegex)
    case contains(String)

    func matches(_ line: String) -> Bool {
        switch self {
        case .regex(let regex): regex.matches(line)
        case .contains(let literal): line.contains(literal)
        }
    }

    public var description: String {
        switch self {
        case .regex(let regex): "regex '\(regex.pattern)'"
        case .contains(let literal): "contains '\(literal)'"
        }
    }
}

/// One checked screen rule.
public struct ScreenRule: Sendable, Equatable {
    public var name: String
    public var state: AgentState
    public var priority: Int
    public var region: ScreenRegion
    public var matcher: LineMatcher
    public var requireQuiet: Bool

    public init(name: String, state: AgentState, priority: Int, region: ScreenRegion, matcher: LineMatcher, requireQuiet: Bool = false) {
        self.name = name
        self.state = state
        self.priority = priority
        self.region = region
        self.matcher = matcher
        self.requireQuiet = requireQuiet
    }

    /// The region's lines that match, top to bottom (empty: the rule does not match).
    public func matchingLines(on snapshot: ScreenSnapshot) -> [RegionLine] {
        region.lines(of: snapshot).filter { matcher.matches($0.text) }
    }

    /// `name (blocked, priority 100, last_lines:5, regex '…')`.
    public var summary: String {
        "\(name) (\(state.rawValue), priority \(priority), \(region), \(matcher)\(requireQuiet ? ", after quiet" : ""))"
    }
}
