import OverseerTerminal

/// How a message is typed into an agent: as a person would, text, a settle pause, then Enter
/// (DESIGN §4), with a bounded number of Enter re-presses if the text stays in the input.
///
/// - When the program enabled bracketed paste (DECSET 2004) and the profile allows it, the
///   text goes as one paste, `ESC[200~ … ESC[201~`, newlines inside as LF, so multi-line text
///   stays one message and paste-burst heuristics stay out of it (Codex 0.147.0 submitted a
///   bracketed message followed by Enter every time, even with no pause). Any ESC in the
///   text is dropped, so the text cannot end the paste early.
/// - Otherwise the text goes as plain keystrokes, each newline as the profile's `newline`
///   (LF by default: the end of a line for readline, Python and cooked mode; `meta_enter`
///   inserts a newline in prompt_toolkit programs).
/// Line endings are unified to LF first; trailing newlines are dropped (Enter is the submit).
public struct TypingPlan: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Bytes to write to the PTY.
        case write([UInt8])
        /// Wait before the next step.
        case pause(milliseconds: Int)
    }

    /// What to do after a submission check following an Enter.
    public enum NextAction: Sendable, Equatable {
        /// The input area no longer holds the text: `verified`.
        case done
        /// Press Enter again (never retype the text), then check again after the settle window.
        case pressEnterAgain
        /// Every re-press is spent: `unverified` with this reason.
        case giveUp(reason: String)
    }

    public static let enter: [UInt8] = [0x0D]
    static let pasteStart: [UInt8] = Array("\u{1B}[200~".utf8)
    static let pasteEnd: [UInt8] = Array("\u{1B}[201~".utf8)

    /// Text, pause, Enter.
    public var steps: [Step]
    /// The bytes of the text step.
    public var textBytes: [UInt8]
    public var bracketedPaste: Bool
    /// The pause between text and Enter, and between an Enter and its re-press.
    public var settleMilliseconds: Int
    /// Enter re-presses allowed after the first Enter.
    public var enterRetries: Int

    /// The plan for `text` into a program whose terminal is in `modes`. `submitDelayMs`
    /// (per agent, from spawn) overrides the profile's.
    public static func make(text: String, modes: TerminalModes, profile: Profile, submitDelayMs: Int? = nil) -> TypingPlan {
        var unified = text.replacingAll("\r\n", with: "\n").replacingAll("\r", with: "\n")
        while unified.hasSuffix("\n") { unified.removeLast() }
        let bracketed = modes.bracketedPaste && profile.bracketedPaste && !unified.isEmpty
        var bytes: [UInt8] = []
        if bracketed {
            bytes = pasteStart + Array(unified.utf8).filter { $0 != 0x1B } + pasteEnd
        } else {
            for byte in unified.utf8 {
                if byte == 0x0A { bytes.append(contentsOf: profile.newline.bytes) } else { bytes.append(byte) }
            }
        }
        let settle = submitDelayMs ?? profile.submitDelayMs
        var steps: [Step] = []
        if !bytes.isEmpty { steps += [.write(bytes), .pause(milliseconds: settle)] }
        steps.append(.write(enter))
        return TypingPlan(steps: steps, textBytes: bytes, bracketedPaste: bracketed, settleMilliseconds: settle, enterRetries: profile.enterRetries)
    }

    /// The decision after Enter number `enterPresses` (1 for the first) and its check.
    public func next(afterEnterPresses enterPresses: Int, submitted: Bool) -> NextAction {
        if submitted { return .done }
        if enterPresses <= enterRetries { return .pressEnterAgain }
        return .giveUp(reason: "typed but not submitted")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
