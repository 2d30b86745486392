/// The profiles Overseer ships, written as definitions so they go through the same checks as
/// the configuration file's.
///
/// Sources: `generic`, `shell`, `python` and `codex` were written against real screens
/// captured with `tmux capture-pane` (Codex CLI 0.147.0, bash 5.2, Python 3.11, a
/// prompt_toolkit 3.0 REPL; `Tests/OverseerProfilesTests/Screens`). Claude Code, Gemini CLI
/// and aider cannot run on the build machine: their rules follow the screens those programs
/// are widely known to draw, and say so.
enum BuiltInProfiles {
    static let genericName = "generic"

    /// Detection order after custom profiles; `generic` has no commands and catches the rest.
    static let detectionOrder = ["codex", "claude", "gemini", "aider", "shell", "python"]

    static let definitions: [String: ProfileDefinition] = [
        genericName: generic, "shell": shell, "python": python,
        "codex": codex, "claude": claude, "gemini": gemini, "aider": aider,
    ]

    /// Any program: idle once output has been quiet and the cursor sits after something
    /// prompt-shaped (`ptk> `, `>>> `, `mysql> `, `$ `, `Name: `); a yes/no question is blocked;
    /// anything else is working.
    static let generic = ProfileDefinition(
        ready: Readiness.ruleOrLeftCookedMode.rawValue,
        rules: [
            RuleDefinition(name: "yes-no-question", state: "blocked", priority: 20, region: "last_lines:3",
                           regex: #"(?i)(\[y/n\]|\(y/n\)|\[yes/no\]|\(yes/no\))\s*[:?]?\s*$"#, requireQuiet: true),
            RuleDefinition(name: "prompt-at-cursor", state: "idle", priority: 10, region: "cursor_line",
                           regex: #"^(\(\S+\) )?\S{0,40}[>$#%»›❯](\s|$)"#, requireQuiet: true),
            RuleDefinition(name: "cursor-after-prompt-char", state: "idle", priority: 9, region: "cursor_line",
                           regex: #"[>$#%:?»›❯]$"#, requireQuiet: true),
        ],
        fallbackState: AgentState.working.rawValue,
        quietSeconds: Profile.defaultQuietSeconds
    )

    /// bash, sh, zsh, dash, ksh, fish run interactively. Prompts as `$ ` (captured), `bash-5.2# `,
    /// `user@host:~/dir$ `, `[user@host dir]$ `, zsh's `% `, fish's `> `. bash 5.2 enables
    /// bracketed paste, and runs each line of a pasted block (checked in tmux).
    static let shell = ProfileDefinition(
        commands: ["bash", "sh", "zsh", "dash", "ksh", "mksh", "ash", "fish"],
        interactiveOnly: true,
        rules: [
            RuleDefinition(name: "shell-prompt", state: "idle", priority: 11, region: "cursor_line",
                           regex: #"^(\(\S+\) )?(\[[^\]]*\]|\S*)[$#%>]( |$)"#, requireQuiet: true),
        ],
        quietSeconds: 0.5
    )

    /// The Python REPL (`>>> `, `... `, captured). Plain typing, never bracketed paste: Python
    /// 3.11 with GNU readline 8.2 does not enable it (fixtures README), and a block sent
    /// bracketed anyway is read as one line, answered with "SyntaxError: multiple statements
    /// found while compiling a single statement" (checked in tmux). Typed line by line, each
    /// line runs as a person's would.
    static let python = ProfileDefinition(
        commands: ["python", "python[0-9]*", "pypy*"],
        interactiveOnly: true,
        rules: [
            RuleDefinition(name: "repl-prompt", state: "idle", priority: 11, region: "cursor_line",
                           regex: #"^(>>>|\.\.\.)( |$)"#, requireQuiet: true),
        ],
        quietSeconds: 0.3,
        bracketedPaste: false,
        newline: NewlineKey.lf.rawValue
    )

    /// OpenAI Codex CLI (captured, 0.147.0). The composer row starts with `›` (also the prefix of
    /// past user messages above it; the composer is the lowest); a turn shows
    /// `• Working (1s • esc to interrupt)` above it; an approval shows a menu ending in
    /// `Press enter to confirm or esc to cancel`. The window title is `work` when idle, starts
    /// with a braille spinner (`⠸ work`) during a turn and reads `[ ! ] Action Required | work`
    /// during an approval. Pastes over 1000 characters show
    /// `[Pasted Content N chars]` (fixtures README: 1001 characters and up). The trust prompt
    /// is from Codex's docs. Ready only once a rule matches (its composer is drawn): Codex
    /// leaves cooked mode ~0.2 s before its first frame, and input typed in that gap is lost
    /// (fixtures README: 7/7 lost at 0–50 ms after raw mode, 8/8 kept from 100 ms).
    static let codex = ProfileDefinition(
        commands: ["codex", "codex-*"],
        ready: Readiness.rule.rawValue,
        rules: [
            RuleDefinition(name: "approval-menu", state: "blocked", priority: 100, region: "last_lines:4",
                           contains: "Press enter to confirm or esc to cancel"),
            RuleDefinition(name: "approval-question", state: "blocked", priority: 95, region: "last_lines:16",
                           regex: #"Would you like to (run the following command|make the following edits|grant these permissions)"#),
            RuleDefinition(name: "title-action-required", state: "blocked", priority: 92, region: "title",
                           contains: "Action Required"),
            RuleDefinition(name: "trust-prompt", state: "blocked", priority: 90, region: "last_lines:16",
                           regex: #"Do you trust the (files|contents) |Press enter to continue"#),
            RuleDefinition(name: "turn-running", state: "working", priority: 50, region: "last_lines:8",
                           contains: "esc to interrupt"),
            RuleDefinition(name: "title-spinner", state: "working", priority: 45, region: "title",
                           regex: #"^[\x{2801}-\x{28FF}] "#),
            RuleDefinition(name: "composer", state: "idle", priority: 10, region: "last_lines:6",
                           regex: #"^›( |$)"#),
        ],
        pastePlaceholder: #"\[Pasted Content \d+ chars\]( #\d+)?"#,
        inputMarker: #"^›( |$)"#
    )

    /// Claude Code (well known, not run here): an input row `> ` (inside a `│ … │` box in
    /// older versions, between rules in newer ones), `✻ Thinking… (… esc to interrupt)` while
    /// working, permission dialogs asking `Do you want to proceed?` with
    /// `3. No, and tell Claude what to do differently (esc)`, and pastes folded into
    /// `[Pasted text #1 +N lines]` (newer versions drop the line count).
    static let claude = ProfileDefinition(
        commands: ["claude", "claude-code"],
        ready: Readiness.rule.rawValue,
        rules: [
            RuleDefinition(name: "permission-dialog", state: "blocked", priority: 100, region: "last_lines:16",
                           regex: #"Do you want to (proceed|make this edit|create|allow)|tell Claude what to do differently"#),
            RuleDefinition(name: "turn-running", state: "working", priority: 50, region: "last_lines:12",
                           contains: "esc to interrupt"),
            RuleDefinition(name: "input-box", state: "idle", priority: 10, region: "last_lines:8",
                           regex: #"^[│ ]*[>❯]( |$)"#),
        ],
        pastePlaceholder: #"\[Pasted text #\d+( \+\d+ lines)?\]"#,
        inputMarker: #"^[│ ]*[>❯]( |$)"#
    )

    /// Gemini CLI (well known, not run here): an input box `│ >   Type your message or
    /// @path/to/file │`, a spinner line ending `(esc to cancel, 5s)` while working, tool
    /// confirmations (`Allow execution of …?`, `Apply this change?`, `Allow once`), and large
    /// pastes folded into `[Pasted Text: N lines]` (Gemini CLI source).
    static let gemini = ProfileDefinition(
        commands: ["gemini", "gemini-cli"],
        ready: Readiness.rule.rawValue,
        rules: [
            RuleDefinition(name: "tool-confirmation", state: "blocked", priority: 100, region: "last_lines:16",
                           regex: #"Allow execution|Apply this change\?|Allow once|Waiting for user confirmation"#),
            RuleDefinition(name: "turn-running", state: "working", priority: 50, region: "last_lines:12",
                           regex: #"\(esc to cancel, \d+"#),
            RuleDefinition(name: "input-box", state: "idle", priority: 10, region: "last_lines:8",
                           regex: #"^[│ ]*>( |$)|Type your message"#),
        ],
        pastePlaceholder: #"\[Pasted Text: \d+ (lines|chars)( #\d+)?\]"#,
        inputMarker: #"^[│ ]*>( |$)"#
    )

    /// aider (well known, not run here; a prompt_toolkit program): its prompt `> ` (or
    /// `ask> `, `architect> `, `multi> `) appears only between turns; `Waiting for MODEL` while
    /// a reply is awaited; confirmations end in `(Y)es/(N)o [Yes]:`. Meta-Enter inserts a
    /// newline in its input.
    static let aider = ProfileDefinition(
        commands: ["aider", "aider-chat"],
        rules: [
            RuleDefinition(name: "confirmation", state: "blocked", priority: 100, region: "last_lines:4",
                           regex: #"\(Y\)es/\(N\)o"#),
            RuleDefinition(name: "waiting-for-model", state: "working", priority: 50, region: "last_lines:4",
                           regex: #"Waiting for \S+|Updating repo map"#),
            RuleDefinition(name: "aider-prompt", state: "idle", priority: 11, region: "cursor_line",
                           regex: #"^(\S+ )?\S*> ?"#, requireQuiet: true),
        ],
        quietSeconds: 0.5,
        newline: NewlineKey.metaEnter.rawValue
    )
}
