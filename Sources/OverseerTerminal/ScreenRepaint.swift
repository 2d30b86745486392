import CVTerm

/// Draws a screen model onto a fresh terminal in one go (for `overseer attach`): the alternate
/// screen if the program is on it, every row with its colours and attributes, the scroll region,
/// the modes and title the program set, then its pen, cursor position and cursor visibility, so
/// that the program's next output lands as it would on its own terminal.
enum ScreenRepaint {
    static func bytes(for engine: ScreenEngine) -> [UInt8] {
        var out: [UInt8] = []
        func emit(_ text: String) { out.append(contentsOf: text.utf8) }
        let snapshot = engine.snapshot()
        if snapshot.alternateScreen { emit("\u{1B}[?1049h") }
        emit("\u{1B}[0m\u{1B}[r\u{1B}[H\u{1B}[2J")
        for row in 0..<engine.rows {
            let cells = engine.cells(ofRow: row)
            guard let last = cells.lastIndex(where: { !$0.drawsNothing }) else { continue }
            emit("\u{1B}[\(row + 1);1H")
            var style = CellStyle.plain
            for cell in cells[...last] where cell.chars.0 != CellText.wideContinuation {
                let cellStyle = CellStyle(cell)
                if cellStyle != style {
                    out.append(contentsOf: cellStyle.sgr)
                    style = cellStyle
                }
                appendCharacters(of: cell, to: &out)
            }
            emit("\u{1B}[0m")
        }
        if let region = engine.tracker.scrollRegion { emit("\u{1B}[\(region.top + 1);\(region.bottom)r") }
        let modes = snapshot.modes
        if modes.applicationCursorKeys { emit("\u{1B}[?1h") }
        if modes.bracketedPaste { emit("\u{1B}[?2004h") }
        switch modes.mouse {
        case "click": emit("\u{1B}[?1000h")
        case "drag": emit("\u{1B}[?1002h")
        case "move": emit("\u{1B}[?1003h")
        default: break
        }
        if let title = snapshot.title { emit("\u{1B}]2;\(title)\u{07}") }
        out.append(contentsOf: CellStyle(pen: engine.state).sgr)
        emit("\u{1B}[\(snapshot.cursorRow + 1);\(snapshot.cursorCol + 1)H")
        emit(snapshot.cursorVisible ? "\u{1B}[?25h" : "\u{1B}[?25l")
        return out
    }

    private static func appendCharacters(of cell: VTermScreenCell, to out: inout [UInt8]) {
        if cell.chars.0 == 0 {
            out.append(0x20)
            return
        }
        withUnsafeBytes(of: cell.chars) { raw in
            for scalar in raw.bindMemory(to: UInt32.self) {
                if scalar == 0 { break }
                CellText.appendScalar(scalar, to: &out)
            }
        }
    }
}

/// The attributes of a cell or pen that SGR sets.
struct CellStyle: Equatable {
    var bold = false, italic = false, blink = false, reverse = false, strike = false
    var underline: UInt32 = 0
    var foreground = ColorKey.default
    var background = ColorKey.default

    static let plain = CellStyle()

    init() {}

    init(_ cell: VTermScreenCell) {
        bold = cell.attrs.bold != 0
        italic = cell.attrs.italic != 0
        blink = cell.attrs.blink != 0
        reverse = cell.attrs.reverse != 0
        strike = cell.attrs.strike != 0
        underline = cell.attrs.underline
        foreground = ColorKey(cell.fg, defaultFlag: 0x02)
        background = ColorKey(cell.bg, defaultFlag: 0x04)
    }

    /// The pen libvterm writes new text with.
    init(pen state: OpaquePointer) {
        func value(_ attr: VTermAttr) -> VTermValue {
            var value = VTermValue()
            _ = vterm_state_get_penattr(state, attr, &value)
            return value
        }
        bold = value(VTERM_ATTR_BOLD).boolean != 0
        italic = value(VTERM_ATTR_ITALIC).boolean != 0
        blink = value(VTERM_ATTR_BLINK).boolean != 0
        reverse = value(VTERM_ATTR_REVERSE).boolean != 0
        strike = value(VTERM_ATTR_STRIKE).boolean != 0
        underline = UInt32(max(value(VTERM_ATTR_UNDERLINE).number, 0))
        foreground = ColorKey(value(VTERM_ATTR_FOREGROUND).color, defaultFlag: 0x02)
        background = ColorKey(value(VTERM_ATTR_BACKGROUND).color, defaultFlag: 0x04)
    }

    /// `ESC [ 0 ; … m`: a reset, then this style.
    var sgr: [UInt8] {
        var parameters = ["0"]
        if bold { parameters.append("1") }
        if italic { parameters.append("3") }
        switch underline {
        case 0: break
        case 2: parameters.append("21")
        case 3: parameters.append("4:3")
        default: parameters.append("4")
        }
        if blink { parameters.append("5") }
        if reverse { parameters.append("7") }
        if strike { parameters.append("9") }
        parameters += foreground.parameters(base: 30)
        parameters += background.parameters(base: 40)
        return Array("\u{1B}[\(parameters.joined(separator: ";"))m".utf8)
    }
}

/// A colour as SGR names it: the default, one of the 256 indexed colours, or 24-bit RGB.
enum ColorKey: Equatable {
    case `default`
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    init(_ color: VTermColor, defaultFlag: UInt8) {
        if color.type & defaultFlag != 0 {
            self = .default
        } else if color.type & 0x01 != 0 {
            self = .indexed(color.indexed.idx)
        } else {
            self = .rgb(color.rgb.red, color.rgb.green, color.rgb.blue)
        }
    }

    func parameters(base: Int) -> [String] {
        switch self {
        case .default: return []
        case .indexed(let index) where index < 8: return ["\(base + Int(index))"]
        case .indexed(let index) where index < 16: return ["\(base + 60 + Int(index) - 8)"]
        case .indexed(let index): return ["\(base + 8)", "5", "\(index)"]
        case .rgb(let red, let green, let blue): return ["\(base + 8)", "2", "\(red)", "\(green)", "\(blue)"]
        }
    }
}

extension VTermScreenCell {
    /// A blank cell with nothing visible about it (after a clear, the terminal shows the same).
    var drawsNothing: Bool {
        (chars.0 == 0 || chars.0 == 0x20 && chars.1 == 0) && bg.type & 0x04 != 0
            && attrs.reverse == 0 && attrs.underline == 0 && attrs.strike == 0
    }
}
