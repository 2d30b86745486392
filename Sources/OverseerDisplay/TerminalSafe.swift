/// Text from agents (command lines, process names, registry names) made safe to print on an
/// operator's terminal or into a log line: nothing in it can move the cursor, change colours,
/// set the window title, ring the bell or split a log line.
///
/// Escaped, each as visible ASCII:
/// - C0 controls (U+0000–U+001F) and DEL (U+007F): `\t`, `\n`, `\r`, `\e` (ESC, so no escape
///   sequence survives: its remaining bytes are printable text), else `\xHH`;
/// - C1 controls (U+0080–U+009F, e.g. the 8-bit CSI U+009B): `\u{9b}`;
/// - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), the line and
///   paragraph separators (U+2028, U+2029) and U+FEFF: `\u{202e}`;
/// - the backslash itself, as `\\`, so an escaped form can never be faked.
///
/// Everything else, non-ASCII letters included, is kept as it is.
public enum TerminalSafe {
    /// `keepingNewlines`: line feeds stay (multi-line error messages); everything else is escaped.
    public static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        let needsEscape = { (scalar: Unicode.Scalar) in Self.needsEscape(scalar) && !(keepingNewlines && scalar == "\n") }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x5C: result += "\\\\"
            case 0x09: result += "\\t"
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x1B: result += "\\e"
            case 0x00...0x1F, 0x7F: result += "\\x" + hex(scalar.value, digits: 2)
            default: result += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return result
    }

    /// An argv as one line: each argument escaped, joined by spaces.
    public static func commandLine(_ argv: [String]) -> String {
        argv.map { escape($0) }.joined(separator: " ")
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x5C, 0x7F...0x9F: true
        case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
