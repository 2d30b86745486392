import OverseerTerminal

/// What is known about an agent at one moment, as the classifier needs it.
public struct AgentObservation: Sendable, Equatable {
    public var screen: ScreenSnapshot
    /// Seconds since the program last wrote output (since spawn, while it has written none).
    public var secondsSinceOutput: Double
    /// The program (the agent's root process) has exited.
    public var exited: Bool
    /// The PTY's termios has left cooked mode (ICANON or ECHO cleared) since spawn.
    public var leftCookedMode: Bool
    /// An earlier verdict already found the program ready; readiness, once reached, stays.
    public var wasReady: Bool
    /// The terminal's foreground program is blocked in `read()` of the terminal: it waits for
    /// input (a program in cooked mode that never draws, such as `cat`, shows it only so).
    public var readingTerminal: Bool
    /// Seconds since the program left cooked mode (nil: it has not). A first readiness waits
    /// for a quiet rule at most ``AgentStateClassifier/settleLimit(_:)`` of them.
    public var secondsSinceLeftCookedMode: Double?

    public init(screen: ScreenSnapshot, secondsSinceOutput: Double, exited: Bool = false, leftCookedMode: Bool, wasReady: Bool = false, readingTerminal: Bool = false, secondsSinceLeftCookedMode: Double? = nil) {
        self.screen = screen
        self.secondsSinceOutput = secondsSinceOutput
        self.exited = exited
        self.leftCookedMode = leftCookedMode
        self.wasReady = wasReady
        self.readingTerminal = readingTerminal
        self.secondsSinceLeftCookedMode = secondsSinceLeftCookedMode
    }
}

/// An agent's state, the rule that decided it and the screen lines that rule matched.
/// Encodes with snake_case keys for the API and the event stream.
public struct AgentStateVerdict: Sendable, Equatable, Codable {
    public var state: AgentState
    /// The winning rule's name; nil for `starting`, `exited` and the fallback state.
    public var rule: String?
    /// The winning rule's matched lines, as `row N: text` (or `title: text`).
    public var evidence: [String]
    public var profile: String
    /// The program has taken the terminal (pass it back as `wasReady`).
    public var ready: Bool
    /// When a rule that waits for quiet output already matches, the seconds after which
    /// classifying again may give another answer; nil when only new output can change it.
    public var recheckAfterSeconds: Double?
    /// One sentence on why.
    public var reason: String
    /// The text `overseer state NAME --explain` prints.
    public var explain: String

    public init(state: AgentState, rule: String?, evidence: [String], profile: String, ready: Bool, recheckAfterSeconds: Double?, reason: String, explain: String) {
        self.state = state
        self.rule = rule
        self.evidence = evidence
        self.profile = profile
        self.ready = ready
        self.recheckAfterSeconds = recheckAfterSeconds
        self.reason = reason
        self.explain = explain
    }

    enum CodingKeys: String, CodingKey {
        case state, rule, evidence, profile, ready, reason, explain
        case recheckAfterSeconds = "recheck_after_seconds"
    }
}

/// Turns an observation into a state by a profile's rules. Pure and deterministic: the
/// highest-priority matching rule wins (``Profile/rules`` is already in that order).
public enum AgentStateClassifier {
    public static func classify(_ observation: AgentObservation, profile: Profile) -> AgentStateVerdict {
        let screen = observation.screen
        var winner: (rule: ScreenRule, lines: [RegionLine])?
        var otherMatches: [String] = []
        var waitingForQuiet: [String] = []
        var recheck: Double?
        for rule in profile.rules {
            let lines = rule.matchingLines(on: screen)
            guard !lines.isEmpty else { continue }
            if rule.requireQuiet && observation.secondsSinceOutput < profile.quietSeconds {
                let remaining = profile.quietSeconds - observation.secondsSinceOutput
                recheck = min(recheck ?? remaining, remaining)
                waitingForQuiet.append(rule.name)
                continue
            }
            if winner == nil { winner = (rule, lines) } else { otherMatches.append(rule.name) }
        }
        if winner != nil { recheck = waitingForQuiet.isEmpty ? nil : recheck }

        let screenHasContent = screen.lines.contains { !$0.isBlank }
        var ready: Bool
        switch profile.readiness {
        case _ where observation.wasReady: ready = true
        case .rule: ready = winner != nil
        case .leftCookedMode: ready = (observation.leftCookedMode && screenHasContent) || observation.readingTerminal
        case .ruleOrLeftCookedMode: ready = winner != nil || (observation.leftCookedMode && screenHasContent) || observation.readingTerminal
        }
        // The first readiness waits for a rule that matches but wants quiet output: a program
        // still drawing its prompt is starting, not briefly the fallback state (`working`).
        // A program whose output never settles is ready once the settle limit has passed.
        let settleTimeLeft = observation.secondsSinceLeftCookedMode.map { $0 < settleLimit(profile) } ?? true
        let settling = !observation.wasReady && ready && winner == nil && !waitingForQuiet.isEmpty && !observation.readingTerminal && settleTimeLeft
        if settling { ready = false }

        var verdict = AgentStateVerdict(state: profile.fallbackState, rule: nil, evidence: [], profile: profile.name, ready: ready, recheckAfterSeconds: recheck, reason: "", explain: "")
        if observation.exited {
            verdict.state = .exited
            verdict.recheckAfterSeconds = nil
            verdict.reason = "the program exited"
        } else if settling {
            verdict.state = .starting
            verdict.reason = "the program has taken the terminal; waiting for its output to settle before \(waitingForQuiet.joined(separator: ", ")) can match"
        } else if !ready {
            verdict.state = .starting
            verdict.reason = "the program has not taken the terminal yet (\(readinessWanted(profile.readiness)))"
        } else if let winner {
            verdict.state = winner.rule.state
            verdict.rule = winner.rule.name
            verdict.evidence = winner.lines.map(\.rendered)
            verdict.reason = "rule \(winner.rule.name) matched"
        } else if observation.readingTerminal {
            verdict.state = .idle
            verdict.recheckAfterSeconds = nil
            verdict.reason = "no rule matched, and the program is blocked reading its terminal: it waits for input"
        } else {
            verdict.reason = "no rule matched: the profile's fallback state"
        }
        verdict.explain = explain(verdict, observation: observation, profile: profile, winner: winner?.rule, otherMatches: otherMatches, waitingForQuiet: waitingForQuiet)
        return verdict
    }

    /// How long after leaving cooked mode a first readiness may wait for quiet output.
    public static func settleLimit(_ profile: Profile) -> Double {
        profile.quietSeconds * 2 + 1
    }

    private static func readinessWanted(_ readiness: Readiness) -> String {
        switch readiness {
        case .rule: "waiting for a rule to match"
        case .leftCookedMode: "waiting for it to leave cooked mode and draw"
        case .ruleOrLeftCookedMode: "waiting for a rule to match, or for it to leave cooked mode and draw"
        }
    }

    private static func explain(_ verdict: AgentStateVerdict, observation: AgentObservation, profile: Profile, winner: ScreenRule?, otherMatches: [String], waitingForQuiet: [String]) -> String {
        var text = "state: \(verdict.state.rawValue)\n"
        let chain = profile.bases.isEmpty ? "" : " (extends \(profile.bases.joined(separator: " < ")))"
        text += "profile: \(profile.name)\(chain)\n"
        text += "reason: \(verdict.reason)\n"
        if let winner, verdict.rule != nil {
            text += "rule: \(winner.summary)\n"
            text += "evidence:\n"
            for line in verdict.evidence { text += "  \(line)\n" }
        }
        if !otherMatches.isEmpty { text += "also matched (lower priority): \(otherMatches.joined(separator: ", "))\n" }
        if !waitingForQuiet.isEmpty {
            text += "matched but waiting for \(format(profile.quietSeconds)) s of quiet output: \(waitingForQuiet.joined(separator: ", "))\n"
        }
        let cooked = observation.leftCookedMode ? "yes" : "no"
        text += "inputs: output quiet for \(format(observation.secondsSinceOutput)) s, left cooked mode: \(cooked)"
        text += ", reading the terminal: \(observation.readingTerminal ? "yes" : "no"), ready: \(verdict.ready ? "yes" : "no")"
        text += ", cursor at row \(observation.screen.cursorRow) col \(observation.screen.cursorCol)\n"
        return text
    }

    private static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return "unbounded" }
        let tenths = (seconds * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}
