/// What the byte stream asks of the screen beyond what libvterm 0.1.4 does by itself, found at a
/// byte range of the chunk being fed.
enum TrackedEvent: Equatable {
    /// DECSET/DECRST 47, 1047 or 1049. `legacy`: only 47, which libvterm ignores.
    case alternateScreen(enter: Bool, legacy: Bool)
    /// OSC 10 or 11 with `?`: the default foreground or background colour is asked for.
    case colorQuery(code: Int, stringTerminator: Bool)
    /// `count` (≥ `SequenceTracker.minimumRun`) complete lines of printable ASCII and SGR only, each
    /// ending in CR LF and narrower than the screen: a candidate for batched scrolling.
    case plainLines(count: Int)
}

struct TrackedItem: Equatable {
    var event: TrackedEvent
    /// Stream offsets: where the sequence (or run) starts and the offset just after it.
    var start: Int
    var end: Int
}

/// An incremental scanner for the few sequences the screen tracks itself: modes libvterm 0.1.4
/// keeps private (bracketed paste, application cursor keys) or does not know (DECSET 47), the
/// title (libvterm truncates OSC strings to 64 bytes), colour queries (answered with the query's
/// terminator, which libvterm does not report), and runs of plain lines. State carries across
/// chunks, so a sequence split between two `scan` calls is recognised.
struct SequenceTracker {
    static let minimumRun = 4
    static let maximumOSC = 4096

    private enum State: UInt8 { case ground, escape, escapeIntermediate, csi, osc, oscEscape, string, stringEscape }

    private(set) var modes = TerminalModes()
    private(set) var title: String?
    /// The scroll region DECSTBM set (zero-based top, exclusive bottom), nil for the whole screen.
    private(set) var scrollRegion: (top: Int, bottom: Int)?
    /// The screen size: a line as wide as `cols` can wrap; `rows` bounds the scroll region.
    var cols: Int
    var rows: Int {
        didSet { scrollRegion = nil }
    }

    /// Stream offset of the next byte `scan` sees.
    private(set) var position = 0
    /// Bytes before this stream offset were fed already: a run of plain lines starts at or after it.
    var runFloor = 0
    /// Something other than text, CR, LF and SGR came since this was last cleared: it may be a
    /// query or change what a reader sees, so the screen parses now rather than later.
    var sawControlSequence = false

    private var state = State.ground
    private var sequenceStart = 0

    /// How many of the bytes scanned so far belong to an escape sequence not finished yet (0 when
    /// none is under way): libvterm holds them in its parser, so nothing on the screen shows them.
    var unfinishedSequenceLength: Int { state == .ground ? 0 : position - sequenceStart }
    // CSI being parsed.
    private var leader: UInt8 = 0
    private var hasIntermediate = false
    private var parameter = -1
    private var parameterCount = 0
    private var firstParameters = (-1, -1)
    private var modeBits = ModeBits()
    // OSC being parsed.
    private var osc: [UInt8] = []
    // The current line, for runs of plain lines.
    private var lineStart = 0
    private var lineWidth = 0
    private var lineHasSGR = false
    /// DECAWM: with it, a line wider than the screen wraps (and can still be batched).
    private var autowrap = true
    private var lineSimple = false
    private var pendingCR = false
    private var runStart = -1
    private var runCount = 0
    private var runEnd = 0

    init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }

    /// Scans the next chunk of the stream, updating modes and title, and appends the events the
    /// screen must act on, in order (a run of plain lines only once `closeRun` ends it).
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, into items: inout [TrackedItem]) {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch state {
            case .ground where byte >= 0x20 && byte <= 0x7E:
                // Printable text is most of any output: take the whole run at once.
                var end = index + 1
                while end < count, bytes[end] >= 0x20, bytes[end] <= 0x7E { end += 1 }
                lineWidth += end - index
                if lineSimple && (pendingCR || lineWidth >= cols && (lineHasSGR || !autowrap)) { markLineComplex(items: &items) }
                index = end
                continue
            case .ground:
                scanGround(byte, at: position + index, items: &items)
            case .escape:
                scanEscape(byte, at: position + index, items: &items)
            case .escapeIntermediate:
                if byte >= 0x30 && byte <= 0x7E || byte == 0x18 || byte == 0x1A { state = .ground }
                else if byte == 0x1B { beginEscape(at: position + index) }
            case .csi:
                scanCSI(byte, at: position + index, items: &items)
            case .osc:
                if byte == 0x07 { finishOSC(stringTerminator: false, end: position + index + 1, items: &items) }
                else if byte == 0x1B { state = .oscEscape }
                else if byte == 0x18 || byte == 0x1A { state = .ground }
                else if osc.count < Self.maximumOSC { osc.append(byte) }
            case .oscEscape:
                if byte == 0x5C { finishOSC(stringTerminator: true, end: position + index + 1, items: &items) }
                else {
                    beginEscape(at: position + index - 1)
                    scanEscape(byte, at: position + index, items: &items)
                }
            case .string:
                if byte == 0x1B { state = .stringEscape }
                else if byte == 0x18 || byte == 0x1A { state = .ground }
            case .stringEscape:
                if byte == 0x5C { state = .ground }
                else {
                    beginEscape(at: position + index - 1)
                    scanEscape(byte, at: position + index, items: &items)
                }
            }
            index += 1
        }
        position += count
    }

    private mutating func scanGround(_ byte: UInt8, at index: Int, items: inout [TrackedItem]) {
        switch byte {
        case 0x0D:
            pendingCR = true
        case 0x0A:
            if lineSimple && pendingCR && lineStart >= runFloor {
                if runStart < 0 { runStart = lineStart }
                runCount += 1
                runEnd = index + 1
            } else {
                closeRun(items: &items)
            }
            lineStart = index + 1
            lineWidth = 0
            lineHasSGR = false
            lineSimple = true
            pendingCR = false
        case 0x1B:
            beginEscape(at: index)
        default:
            if lineSimple { markLineComplex(items: &items) }
        }
    }

    private mutating func beginEscape(at index: Int) {
        state = .escape
        sequenceStart = max(index, 0)
    }

    private mutating func scanEscape(_ byte: UInt8, at index: Int, items: inout [TrackedItem]) {
        if byte != 0x5B { sawControlSequence = true }
        switch byte {
        case 0x5B: // [
            state = .csi
            leader = 0
            hasIntermediate = false
            parameter = -1
            parameterCount = 0
            firstParameters = (-1, -1)
            modeBits = ModeBits()
        case 0x5D: // ]
            state = .osc
            osc.removeAll(keepingCapacity: true)
            markLineComplex(items: &items)
        case 0x50, 0x58, 0x5E, 0x5F: // DCS, SOS, PM, APC
            state = .string
            markLineComplex(items: &items)
        case 0x63: // RIS
            state = .ground
            markLineComplex(items: &items)
            modes = TerminalModes()
            scrollRegion = nil
            autowrap = true
        case 0x1B:
            sequenceStart = index
        case 0x18, 0x1A:
            state = .ground
            markLineComplex(items: &items)
        case 0x20...0x2F:
            state = .escapeIntermediate
            markLineComplex(items: &items)
        case 0x00...0x1F:
            markLineComplex(items: &items)
        default:
            state = .ground
            markLineComplex(items: &items)
        }
    }

    private mutating func scanCSI(_ byte: UInt8, at index: Int, items: inout [TrackedItem]) {
        switch byte {
        case 0x30...0x39:
            parameter = min(max(parameter, 0) * 10 + Int(byte - 0x30), 1_000_000)
        case 0x3A, 0x3B:
            endParameter()
        case 0x3C...0x3F:
            if parameter < 0 && parameterCount == 0 && leader == 0 { leader = byte } else { hasIntermediate = true }
        case 0x20...0x2F:
            if byte == 0x21 && leader == 0 { leader = byte } else { hasIntermediate = true }
        case 0x40...0x7E:
            state = .ground
            endParameter()
            dispatchCSI(final: byte, end: index + 1, items: &items)
        case 0x1B:
            markLineComplex(items: &items)
            beginEscape(at: index)
        case 0x18, 0x1A:
            state = .ground
            markLineComplex(items: &items)
        default:
            // C0 controls inside a CSI are executed by libvterm; anything else ends it.
            markLineComplex(items: &items)
            if byte >= 0x80 { state = .ground }
        }
    }

    private mutating func endParameter() {
        if leader == 0x3F, let bit = ModeBits(decMode: parameter) { modeBits.insert(bit) }
        if parameterCount == 0 { firstParameters.0 = parameter } else if parameterCount == 1 { firstParameters.1 = parameter }
        parameterCount += 1
        parameter = -1
    }

    private mutating func dispatchCSI(final: UInt8, end: Int, items: inout [TrackedItem]) {
        if final == 0x6D && leader == 0 && !hasIntermediate { // SGR keeps a line plain if it cannot wrap
            lineHasSGR = true
            if lineSimple && lineWidth >= cols { markLineComplex(items: &items) }
            return
        }
        sawControlSequence = true
        markLineComplex(items: &items)
        if leader == 0x21 && final == 0x70 && !hasIntermediate { // DECSTR
            modes = TerminalModes()
            scrollRegion = nil
            autowrap = true
            return
        }
        if leader == 0 && final == 0x72 && !hasIntermediate { // DECSTBM
            let top = max(firstParameters.0, 1) - 1
            let bottom = min(firstParameters.1 <= 0 ? rows : firstParameters.1, rows)
            if top < bottom - 1 { scrollRegion = top == 0 && bottom == rows ? nil : (top, bottom) }
            return
        }
        guard leader == 0x3F, !hasIntermediate, final == 0x68 || final == 0x6C, !modeBits.isEmpty else { return }
        let set = final == 0x68
        if modeBits.contains(.applicationCursorKeys) { modes.applicationCursorKeys = set }
        if modeBits.contains(.autowrap) { autowrap = set }
        if modeBits.contains(.bracketedPaste) { modes.bracketedPaste = set }
        if modeBits.contains(.mouseClick) { modes.mouse = set ? "click" : "none" }
        if modeBits.contains(.mouseDrag) { modes.mouse = set ? "drag" : "none" }
        if modeBits.contains(.mouseMove) { modes.mouse = set ? "move" : "none" }
        if !modeBits.isDisjoint(with: [.alternate47, .alternate1047, .alternate1049]) {
            let legacy = modeBits.isDisjoint(with: [.alternate1047, .alternate1049])
            items.append(TrackedItem(event: .alternateScreen(enter: set, legacy: legacy), start: sequenceStart, end: end))
        }
    }

    private mutating func finishOSC(stringTerminator: Bool, end: Int, items: inout [TrackedItem]) {
        state = .ground
        guard let separator = osc.firstIndex(of: 0x3B), separator > 0 else { return }
        let code = osc[..<separator].reduce(0) { $0 * 10 + (($1 >= 0x30 && $1 <= 0x39) ? Int($1 - 0x30) : 1_000) }
        let argument = osc[(separator + 1)...]
        switch code {
        case 0, 2:
            title = String(decoding: argument, as: UTF8.self)
        case 10, 11:
            guard argument.elementsEqual([0x3F]) else { return }
            items.append(TrackedItem(event: .colorQuery(code: code, stringTerminator: stringTerminator), start: sequenceStart, end: end))
        default:
            break
        }
    }

    private mutating func markLineComplex(items: inout [TrackedItem]) {
        lineSimple = false
        closeRun(items: &items)
    }

    mutating func closeRun(items: inout [TrackedItem]) {
        if runStart >= 0 && runCount >= Self.minimumRun {
            items.append(TrackedItem(event: .plainLines(count: runCount), start: runStart, end: runEnd))
        }
        runStart = -1
        runCount = 0
    }
}

/// The DEC private modes the tracker cares about.
struct ModeBits: OptionSet {
    var rawValue: UInt16
    static let applicationCursorKeys = ModeBits(rawValue: 1 << 0)
    static let alternate47 = ModeBits(rawValue: 1 << 1)
    static let alternate1047 = ModeBits(rawValue: 1 << 2)
    static let alternate1049 = ModeBits(rawValue: 1 << 3)
    static let mouseClick = ModeBits(rawValue: 1 << 4)
    static let mouseDrag = ModeBits(rawValue: 1 << 5)
    static let mouseMove = ModeBits(rawValue: 1 << 6)
    static let bracketedPaste = ModeBits(rawValue: 1 << 7)
    static let autowrap = ModeBits(rawValue: 1 << 8)

    init(rawValue: UInt16) { self.rawValue = rawValue }

    init?(decMode: Int) {
        switch decMode {
        case 1: self = .applicationCursorKeys
        case 7: self = .autowrap
        case 47: self = .alternate47
        case 1047: self = .alternate1047
        case 1049: self = .alternate1049
        case 1000: self = .mouseClick
        case 1002: self = .mouseDrag
        case 1003: self = .mouseMove
        case 2004: self = .bracketedPaste
        default: return nil
        }
    }
}
