import OverseerTerminal

/// One line of a screen region: its text and the screen row it came from (nil for the title).
public struct RegionLine: Sendable, Equatable {
    public var row: Int?
    public var text: String

    public init(row: Int?, text: String) {
        self.row = row
        self.text = text
    }

    /// `row 21: › text` or `title: text`, the form evidence is shown in.
    public var rendered: String {
        if let row { return "row \(row): \(text)" }
        return "title: \(text)"
    }
}

/// The part of a screen a rule looks at.
///
/// Written in a profile as `screen`, `title`, `cursor_line`, `last_lines:N` or `lines:A..B`.
/// "Content" ends at the last non-blank row or the cursor row, whichever is lower, so
/// `last_lines` of a shell that has used only the top of the screen is its last output, not
/// the blank rows below it.
public enum ScreenRegion: Sendable, Equatable, CustomStringConvertible {
    /// Every visible row.
    case screen
    /// The window title (OSC 0/2); empty when the program set none.
    case title
    /// The row holding the cursor.
    case cursorLine
    /// The last N rows of content (blank rows between content rows count).
    case lastLines(Int)
    /// Rows A through B inclusive, zero-based; a negative index counts from the bottom row
    /// (-1 is the last row of the screen).
    case lines(Int, Int)

    /// Parses the written form; nil when it is none of the accepted forms.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        switch trimmed {
        case "screen": self = .screen
        case "title": self = .title
        case "cursor_line": self = .cursorLine
        default:
            if let count = trimmed.dropPrefix("last_lines:").flatMap({ Int($0.trimmingWhitespace()) }), count > 0 {
                self = .lastLines(count)
            } else if let range = trimmed.dropPrefix("lines:") {
                let bounds = range.split(separator: ".", omittingEmptySubsequences: false)
                guard bounds.count == 3, bounds[1].isEmpty,
                      let lower = Int(String(bounds[0]).trimmingWhitespace()),
                      let upper = Int(String(bounds[2]).trimmingWhitespace()) else { return nil }
                self = .lines(lower, upper)
            } else {
                return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .screen: "screen"
        case .title: "title"
        case .cursorLine: "cursor_line"
        case .lastLines(let count): "last_lines:\(count)"
        case .lines(let lower, let upper): "lines:\(lower)..\(upper)"
        }
    }

    /// The region's lines on `snapshot`, top to bottom.
    public func lines(of snapshot: ScreenSnapshot) -> [RegionLine] {
        let rows = snapshot.lines
        func slice(_ range: Range<Int>) -> [RegionLine] {
            range.map { RegionLine(row: $0, text: rows[$0]) }
        }
        switch self {
        case .screen:
            return slice(rows.indices)
        case .title:
            guard let title = snapshot.title, !title.isEmpty else { return [] }
            return [RegionLine(row: nil, text: title)]
        case .cursorLine:
            guard rows.indices.contains(snapshot.cursorRow) else { return [] }
            return [RegionLine(row: snapshot.cursorRow, text: rows[snapshot.cursorRow])]
        case .lastLines(let count):
            let end = snapshot.contentEnd
            return slice(max(0, end - count)..<end)
        case .lines(let lower, let upper):
            let first = lower < 0 ? rows.count + lower : lower
            let last = upper < 0 ? rows.count + upper : upper
            let clampedFirst = max(0, first)
            let clampedLast = min(rows.count - 1, last)
            guard clampedFirst <= clampedLast else { return [] }
            return slice(clampedFirst..<(clampedLast + 1))
        }
    }
}

extension ScreenSnapshot {
    /// One past the last row of content: the last non-blank row or the cursor row, whichever is lower.
    var contentEnd: Int {
        let lastNonBlank = lines.lastIndex { !$0.isBlank } ?? -1
        let cursor = lines.indices.contains(cursorRow) ? cursorRow : -1
        return max(lastNonBlank, cursor) + 1
    }
}

extension String {
    /// True when the line has nothing but whitespace.
    var isBlank: Bool { allSatisfy(\.isWhitespace) }

    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }

    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
