import OverseerTerminal

/// What a submission check saw: how it decided, and the screen lines that show it.
public struct ScreenEvidence: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// The text itself is on the screen.
        case text
        /// The profile's paste placeholder stands in for the text.
        case placeholder
        /// The input area no longer holds the text or placeholder.
        case inputCleared = "input_cleared"
    }

    public var kind: Kind
    /// One sentence for people.
    public var summary: String
    /// The rows that show it, as `row N: text`.
    public var lines: [String]
}

/// Verifies a delivery on the rendered screen, in two steps (DESIGN §4).
///
/// - *typed*: the text, or the profile's paste placeholder, is on a snapshot taken after the
///   injection began, and is new there: it shows more often than on the snapshot from just
///   before, or it now sits in the input area and did not before (a repeat of a message still
///   in the transcript, or a screen that scrolled the old copy away, is still caught).
/// - *submitted*: after Enter, the input area no longer holds it: the composer was cleared
///   (Codex, Claude Code) or the line moved above a new prompt (bash, Python, prompt_toolkit).
///
/// The input area: with the profile's `input_marker`, the rows from the last marker row at or
/// above the cursor (the last on screen when the cursor is hidden) down to the cursor row and
/// the non-blank rows below it. Without one, the rows of the typed text that hold the cursor,
/// also when the cursor sits below them on rows that hold nothing but an input box's frame
/// (Enter taken as a newline inside a box), or at the start of the next row when the text
/// filled its last row exactly (readline's wrap). Pure: it keeps only what it measured on the
/// snapshot from before.
public struct SubmissionCheck: Sendable {
    public let profile: Profile
    private let search: ScreenTextSearch
    private let textCountBefore: Int
    private let textHeldBefore: Bool
    private let placeholderCountBefore: Int
    private let placeholderHeldBefore: Bool

    /// A check for `text` (as typed, without the Enter), `before` being the screen just
    /// before the injection began.
    public init(text: String, profile: Profile, before: ScreenSnapshot) {
        self.profile = profile
        search = ScreenTextSearch(text: text)
        let occurrences = search.occurrences(in: before)
        textCountBefore = occurrences.count
        let area = InputArea(snapshot: before, marker: profile.inputMarker)
        textHeldBefore = area.holding(occurrences, in: before) != nil
        placeholderCountBefore = Self.placeholderRows(before, profile: profile).count
        placeholderHeldBefore = area.placeholderRows(before, profile: profile).isEmpty == false
    }

    /// Whether the text has anything visible to look for (else only a timeout can tell).
    public var canVerify: Bool { search.canMatch || profile.pastePlaceholder != nil }

    /// Evidence that the text (or its placeholder) was typed, or nil when `snapshot` does not show it yet.
    public func typed(on snapshot: ScreenSnapshot) -> ScreenEvidence? {
        let area = InputArea(snapshot: snapshot, marker: profile.inputMarker)
        let occurrences = search.occurrences(in: snapshot)
        let held = area.holding(occurrences, in: snapshot)
        if occurrences.count > textCountBefore || (held != nil && !textHeldBefore), let shown = held ?? occurrences.last {
            let place = held != nil ? "in the input area" : "on the screen"
            return ScreenEvidence(kind: .text, summary: "the text is \(place) (rows \(shown.firstRow)–\(shown.lastRow))", lines: Self.render(snapshot, shown.firstRow...shown.lastRow))
        }
        let placeholders = Self.placeholderRows(snapshot, profile: profile)
        let heldPlaceholders = area.placeholderRows(snapshot, profile: profile)
        if placeholders.count > placeholderCountBefore || (!heldPlaceholders.isEmpty && !placeholderHeldBefore),
           let row = heldPlaceholders.last ?? placeholders.last {
            return ScreenEvidence(kind: .placeholder, summary: "a paste placeholder stands for the text (row \(row))", lines: Self.render(snapshot, row...row))
        }
        return nil
    }

    /// Evidence that the input area still holds the text or its placeholder, or nil when it does not.
    public func heldInInput(on snapshot: ScreenSnapshot) -> ScreenEvidence? {
        let area = InputArea(snapshot: snapshot, marker: profile.inputMarker)
        if let held = area.holding(search.occurrences(in: snapshot), in: snapshot) {
            return ScreenEvidence(kind: .text, summary: "the input area still holds the text (rows \(held.firstRow)–\(held.lastRow))", lines: Self.render(snapshot, held.firstRow...held.lastRow))
        }
        if let row = area.placeholderRows(snapshot, profile: profile).last {
            return ScreenEvidence(kind: .placeholder, summary: "the input area still holds the paste placeholder (row \(row))", lines: Self.render(snapshot, row...row))
        }
        return nil
    }

    /// Evidence that the text, already `typed`, was submitted: on `snapshot` (taken after
    /// Enter) the input area no longer holds it. Nil while it still does.
    public func submitted(on snapshot: ScreenSnapshot, typed: ScreenEvidence) -> ScreenEvidence? {
        guard heldInInput(on: snapshot) == nil else { return nil }
        let area = InputArea(snapshot: snapshot, marker: profile.inputMarker)
        var lines: [String] = []
        var summary = "the input area no longer holds the text"
        if let rows = area.rows {
            lines = Self.render(snapshot, rows)
            summary += " (input area rows \(rows.lowerBound)–\(rows.upperBound))"
        } else if snapshot.lines.indices.contains(snapshot.cursorRow) {
            lines = Self.render(snapshot, snapshot.cursorRow...snapshot.cursorRow)
            summary += " (cursor row \(snapshot.cursorRow))"
        }
        if let moved = search.occurrences(in: snapshot).last {
            summary += "; it shows above, rows \(moved.firstRow)–\(moved.lastRow)"
            lines = Self.render(snapshot, moved.firstRow...moved.lastRow) + lines
        }
        return ScreenEvidence(kind: .inputCleared, summary: summary, lines: lines)
    }

    private static func placeholderRows(_ snapshot: ScreenSnapshot, profile: Profile) -> [Int] {
        guard let placeholder = profile.pastePlaceholder else { return [] }
        return snapshot.lines.indices.flatMap { row in
            repeatElement(row, count: placeholder.matchCount(snapshot.lines[row]))
        }
    }

    private static func render(_ snapshot: ScreenSnapshot, _ rows: ClosedRange<Int>) -> [String] {
        rows.clamped(to: 0...max(0, snapshot.lines.count - 1)).map { RegionLine(row: $0, text: snapshot.lines[$0]).rendered }
    }
}

/// The rows of a screen where the program keeps what is being typed.
struct InputArea {
    /// The marker-defined rows; nil without a marker (or when no row matches it).
    let rows: ClosedRange<Int>?

    init(snapshot: ScreenSnapshot, marker: ProfileRegex?) {
        guard let marker, !snapshot.lines.isEmpty else { rows = nil; return }
        let cursorOnScreen = snapshot.cursorVisible && snapshot.lines.indices.contains(snapshot.cursorRow)
        let searchEnd = cursorOnScreen ? snapshot.cursorRow : snapshot.lines.count - 1
        guard let start = (0...searchEnd).last(where: { marker.matches(snapshot.lines[$0]) }) else { rows = nil; return }
        var end = cursorOnScreen ? max(start, snapshot.cursorRow) : start
        while end + 1 < snapshot.lines.count, !snapshot.lines[end + 1].isBlank { end += 1 }
        rows = start...end
    }

    /// The occurrence the input area holds, if any (the lowest).
    func holding(_ occurrences: [ScreenTextSearch.Occurrence], in snapshot: ScreenSnapshot) -> ScreenTextSearch.Occurrence? {
        if let rows {
            return occurrences.last { $0.lastRow >= rows.lowerBound && $0.firstRow <= rows.upperBound }
        }
        return occurrences.last { Self.holdsCursor($0, snapshot) }
    }

    /// Rows of the input area (or the cursor row) showing the placeholder.
    func placeholderRows(_ snapshot: ScreenSnapshot, profile: Profile) -> [Int] {
        guard let placeholder = profile.pastePlaceholder else { return [] }
        let candidates: [Int]
        if let rows {
            candidates = Array(rows)
        } else {
            candidates = snapshot.lines.indices.contains(snapshot.cursorRow) ? [snapshot.cursorRow] : []
        }
        return candidates.filter { placeholder.matches(snapshot.lines[$0]) }
    }

    /// The generic rule: the text's rows hold the cursor, or the cursor sits below them on
    /// frame-only rows, or at column 0 of a blank row right after a row the text filled.
    private static func holdsCursor(_ occurrence: ScreenTextSearch.Occurrence, _ snapshot: ScreenSnapshot) -> Bool {
        let cursor = snapshot.cursorRow
        if occurrence.contains(row: cursor) { return true }
        guard cursor > occurrence.lastRow, snapshot.lines.indices.contains(cursor) else { return false }
        let between = (occurrence.lastRow + 1)...cursor
        if between.allSatisfy({ isFrameOnly(snapshot.lines[$0]) }) { return true }
        return cursor == occurrence.lastRow + 1 && snapshot.cursorCol == 0 && snapshot.lines[cursor].isBlank
            && snapshot.lines[occurrence.lastRow].terminalWidth >= snapshot.cols
    }

    /// A row with an input box's frame and nothing else (not a blank row).
    private static func isFrameOnly(_ line: String) -> Bool {
        !line.isBlank && ScreenTextSearch.visible(line).isEmpty
    }
}
