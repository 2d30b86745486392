/// Answer to `GET /v1/agents/{name}/screen?format=json`: what a person looking at the agent's
/// terminal sees now, as the supervisor's screen model rendered it.
public struct ScreenView: Codable, Sendable, Equatable {
    public struct Cursor: Codable, Sendable, Equatable {
        /// Zero-based row and column.
        public var row: Int
        public var col: Int
        public var visible: Bool

        public init(row: Int, col: Int, visible: Bool) {
            self.row = row
            self.col = col
            self.visible = visible
        }
    }

    /// The terminal modes the program has set.
    public struct Modes: Codable, Sendable, Equatable {
        /// DECSET 2004: pastes arrive wrapped in `ESC[200~` … `ESC[201~`.
        public var bracketedPaste: Bool
        /// DECCKM: cursor keys send `ESC O A` rather than `ESC [ A`.
        public var applicationCursorKeys: Bool
        /// Mouse reporting asked for: "none", "click", "drag" or "move".
        public var mouse: String

        public init(bracketedPaste: Bool, applicationCursorKeys: Bool, mouse: String) {
            self.bracketedPaste = bracketedPaste
            self.applicationCursorKeys = applicationCursorKeys
            self.mouse = mouse
        }

        enum CodingKeys: String, CodingKey {
            case bracketedPaste = "bracketed_paste"
            case applicationCursorKeys = "application_cursor_keys"
            case mouse
        }
    }

    public var rows: Int
    public var cols: Int
    /// The visible rows, top to bottom, exactly `rows` entries, each with trailing blanks trimmed.
    public var lines: [String]
    /// Lines that scrolled off the top, oldest first; present only when `?scrollback=N` asked.
    public var scrollback: [String]?
    public var cursor: Cursor
    /// The window title the program set (OSC 0/2); absent when it set none.
    public var title: String?
    /// The program is on the alternate screen (full-screen programs: vim, less, htop).
    public var alternateScreen: Bool
    public var modes: Modes
    /// Output bytes the ring dropped before the screen could parse them (the CPU was saturated):
    /// when non-zero the screen may show stale cells until the program's next full redraw.
    public var missedBytes: UInt64

    public init(rows: Int, cols: Int, lines: [String], scrollback: [String]? = nil, cursor: Cursor, title: String? = nil, alternateScreen: Bool, modes: Modes, missedBytes: UInt64 = 0) {
        self.rows = rows
        self.cols = cols
        self.lines = lines
        self.scrollback = scrollback
        self.cursor = cursor
        self.title = title
        self.alternateScreen = alternateScreen
        self.modes = modes
        self.missedBytes = missedBytes
    }

    enum CodingKeys: String, CodingKey {
        case rows, cols, lines, scrollback, cursor, title
        case alternateScreen = "alternate_screen"
        case modes
        case missedBytes = "missed_bytes"
    }

    /// The screen as `tmux capture-pane -p` prints it: the scrollback lines (if any), then the
    /// visible lines, joined by newlines, trailing blank lines dropped, one final newline (empty
    /// when nothing is on the screen).
    public var text: String {
        var all = (scrollback ?? []) + lines
        while all.last?.isEmpty == true { all.removeLast() }
        return all.isEmpty ? "" : all.joined(separator: "\n") + "\n"
    }
}
