/// The terminal modes a program has set, as the screen model tracked them.
public struct TerminalModes: Sendable, Equatable, Codable {
    /// DECSET 2004: pastes are wrapped in `ESC[200~` … `ESC[201~`.
    public var bracketedPaste: Bool
    /// DECCKM (DECSET 1): cursor keys send `ESC O A` instead of `ESC [ A`.
    public var applicationCursorKeys: Bool
    /// Mouse reporting the program asked for: "none", "click", "drag" or "move".
    public var mouse: String

    public init(bracketedPaste: Bool = false, applicationCursorKeys: Bool = false, mouse: String = "none") {
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

/// One moment of an agent's rendered screen: what a person looking at it would see.
public struct ScreenSnapshot: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// The visible rows, top to bottom, exactly `rows` entries; trailing blanks trimmed; a wide
    /// character appears once (its second cell is not repeated).
    public var lines: [String]
    /// Zero-based cursor position.
    public var cursorRow: Int
    public var cursorCol: Int
    public var cursorVisible: Bool
    /// The window title (OSC 0 or OSC 2), if the program set one.
    public var title: String?
    /// The program switched to the alternate screen (DECSET 1049/1047/47).
    public var alternateScreen: Bool
    public var modes: TerminalModes

    public init(rows: Int, cols: Int, lines: [String], cursorRow: Int = 0, cursorCol: Int = 0, cursorVisible: Bool = true, title: String? = nil, alternateScreen: Bool = false, modes: TerminalModes = TerminalModes()) {
        self.rows = rows
        self.cols = cols
        self.lines = lines
        self.cursorRow = cursorRow
        self.cursorCol = cursorCol
        self.cursorVisible = cursorVisible
        self.title = title
        self.alternateScreen = alternateScreen
        self.modes = modes
    }
}
