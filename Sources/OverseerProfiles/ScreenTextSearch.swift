import Foundation
import OverseerTerminal

/// Where a text shows on a screen, compared the way `EchoVerifier` compares echoes: whitespace
/// and control characters play no part (terminals wrap lines anywhere and move the cursor
/// instead of printing spaces), nor do box-drawing characters (U+2500–U+257F: the frame of an
/// input box splits a wrapped line). Both sides are compared in Unicode NFC.
///
/// A multi-line text is found line by line, in order: between the end of one line and the
/// start of the next, up to ``maxLineGap`` other visible characters may stand (a continuation
/// prompt such as Python's `...` or bash's `>`, a `↳`), so prompts interleaved with the lines
/// do not hide them. Each line itself must be contiguous.
struct ScreenTextSearch: Sendable {
    /// One place the text shows: the rows of its first and last visible character.
    struct Occurrence: Sendable, Equatable {
        var firstRow: Int
        var lastRow: Int

        func contains(row: Int) -> Bool { firstRow <= row && row <= lastRow }
    }

    static let maxLineGap = 8

    /// The text's lines, each reduced to the characters that count; empty lines dropped.
    let lines: [[Unicode.Scalar]]

    init(text: String) {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        lines = unified.split(separator: "\n", omittingEmptySubsequences: false)
            .map { Self.visible(String($0)) }
            .filter { !$0.isEmpty }
    }

    /// Whether the text has anything visible to look for.
    var canMatch: Bool { !lines.isEmpty }

    /// Every non-overlapping place the text shows on `snapshot`, top to bottom.
    func occurrences(in snapshot: ScreenSnapshot) -> [Occurrence] {
        guard canMatch else { return [] }
        var stream: [Unicode.Scalar] = []
        var rowOf: [Int] = []
        for (row, line) in snapshot.lines.enumerated() {
            let scalars = Self.visible(line)
            stream.append(contentsOf: scalars)
            rowOf.append(contentsOf: repeatElement(row, count: scalars.count))
        }
        var found: [Occurrence] = []
        var from = 0
        while let start = Self.find(lines[0], in: stream, from: from) {
            if let end = matchRest(stream, after: start + lines[0].count) {
                found.append(Occurrence(firstRow: rowOf[start], lastRow: rowOf[end - 1]))
                from = end
            } else {
                from = start + 1
            }
        }
        return found
    }

    /// Matches lines 1... after `position`; returns one past the last matched character.
    private func matchRest(_ stream: [Unicode.Scalar], after position: Int) -> Int? {
        var end = position
        for line in lines.dropFirst() {
            guard let gap = (0...Self.maxLineGap).first(where: { Self.matches(line, in: stream, at: end + $0) }) else { return nil }
            end += gap + line.count
        }
        return end
    }

    private static func find(_ needle: [Unicode.Scalar], in stream: [Unicode.Scalar], from: Int) -> Int? {
        guard needle.count <= stream.count else { return nil }
        var index = from
        while index + needle.count <= stream.count {
            if matches(needle, in: stream, at: index) { return index }
            index += 1
        }
        return nil
    }

    private static func matches(_ needle: [Unicode.Scalar], in stream: [Unicode.Scalar], at index: Int) -> Bool {
        guard index + needle.count <= stream.count else { return false }
        for offset in needle.indices where stream[index + offset] != needle[offset] { return false }
        return true
    }

    /// The characters of `text` that take part in matching.
    static func visible(_ text: String) -> [Unicode.Scalar] {
        text.precomposedStringWithCanonicalMapping.unicodeScalars.filter { !isIgnored($0) }
    }

    /// Whitespace, controls and box drawing.
    static func isIgnored(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
            || (0x2500...0x257F).contains(scalar.value) || scalar.properties.isWhitespace
    }
}

extension String {
    /// Columns the line takes on a terminal: wide (East Asian wide/fullwidth, emoji) characters take two.
    var terminalWidth: Int {
        unicodeScalars.reduce(0) { width, scalar in
            if scalar.properties.generalCategory == .nonspacingMark || scalar.value == 0x200D { return width }
            return width + (Self.isWide(scalar) ? 2 : 1)
        }
    }

    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
