/// Incremental UTF-8 decoding for a byte stream cut into arbitrary chunks: a character whose
/// bytes straddle two chunks is emitted once its last byte arrives.
///
/// Follows the WHATWG decoder (overlong forms and surrogates are errors, each error yields
/// one U+FFFD) with one terminal-specific exception: a stray byte 0x80–0x9F, outside any
/// multi-byte sequence, is an 8-bit C1 control and is emitted as U+0080–U+009F. Inside a
/// sequence the same bytes are ordinary continuation bytes.
struct UTF8StreamDecoder: Sendable {
    private var codePoint: UInt32 = 0
    private var needed = 0
    private var lowerBound: UInt8 = 0x80
    private var upperBound: UInt8 = 0xBF

    /// Whether a multi-byte sequence is incomplete.
    var isMidSequence: Bool { needed > 0 }

    mutating func decode(_ byte: UInt8, emit: (Unicode.Scalar) -> Void) {
        if needed == 0 {
            start(byte, emit: emit)
            return
        }
        guard byte >= lowerBound, byte <= upperBound else {
            reset()
            emit(Self.replacement)
            start(byte, emit: emit)
            return
        }
        lowerBound = 0x80
        upperBound = 0xBF
        codePoint = (codePoint << 6) | UInt32(byte & 0x3F)
        needed -= 1
        if needed == 0 {
            emit(Unicode.Scalar(codePoint) ?? Self.replacement)
            codePoint = 0
        }
    }

    private mutating func start(_ byte: UInt8, emit: (Unicode.Scalar) -> Void) {
        switch byte {
        case 0x00...0x9F:
            // ASCII, or a stray 8-bit C1 control.
            emit(Unicode.Scalar(byte))
        case 0xC2...0xDF:
            needed = 1
            codePoint = UInt32(byte & 0x1F)
        case 0xE0...0xEF:
            if byte == 0xE0 { lowerBound = 0xA0 }
            if byte == 0xED { upperBound = 0x9F }
            needed = 2
            codePoint = UInt32(byte & 0x0F)
        case 0xF0...0xF4:
            if byte == 0xF0 { lowerBound = 0x90 }
            if byte == 0xF4 { upperBound = 0x8F }
            needed = 3
            codePoint = UInt32(byte & 0x07)
        default:
            emit(Self.replacement)
        }
    }

    private mutating func reset() {
        codePoint = 0
        needed = 0
        lowerBound = 0x80
        upperBound = 0xBF
    }

    static let replacement: Unicode.Scalar = "\u{FFFD}"
}
