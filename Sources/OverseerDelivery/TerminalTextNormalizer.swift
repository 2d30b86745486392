/// Turns a terminal's output byte stream into the plain text it shows, chunk by chunk.
///
/// A streaming state machine: chunks may split an escape sequence or a UTF-8 character at
/// any byte, and the state carries over to the next chunk. Memory is constant: sequence
/// parameters and string contents are skipped, never buffered.
///
/// - Removed: CSI (`ESC [` … final byte 0x40–0x7E), OSC (`ESC ]` … BEL or ST), DCS, SOS, PM
///   and APC strings (`ESC P`, `ESC X`, `ESC ^`, `ESC _` … ST or BEL), two-byte `ESC x`,
///   `ESC` + intermediates + final (`ESC ( B`), single shifts (`ESC N x`, `ESC O x`), and
///   their 8-bit C1 forms (0x9B CSI, 0x9D OSC, 0x90 DCS, ...; as a stray byte or as the code
///   point U+0080–U+009F). CAN and SUB abort a sequence.
/// - Control characters: CR, LF, TAB, VT and FF count as whitespace; all others are removed.
/// - Whitespace: every run of whitespace (including Unicode spaces) becomes one space.
public struct TerminalTextNormalizer: Sendable {
    private enum State: Sendable {
        case ground
        case escape
        case escapeIntermediate
        case singleShift
        case csi
        case controlString
        case controlStringEscape
    }

    private var decoder = UTF8StreamDecoder()
    private var state = State.ground
    private var lastWasSpace = false

    /// A normalizer at the start of a stream.
    public init() {}

    /// Feeds the next chunk and returns the text it completed (possibly empty).
    public mutating func feed(_ bytes: some Collection<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        feed(bytes) { text.append($0) }
        return String(text)
    }

    /// Normalizes a whole string (for example the text that was typed), without the leading
    /// or trailing space a whitespace run at either end would leave.
    public static func normalize(_ text: String) -> String {
        var normalizer = TerminalTextNormalizer()
        var scalars = Array(normalizer.feed(Array(text.utf8)).unicodeScalars)
        if scalars.last == " " { scalars.removeLast() }
        if scalars.first == " " { scalars.removeFirst() }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    /// Feeds the next chunk, handing each visible scalar (and one space per whitespace run) to `emit`.
    mutating func feed(_ bytes: some Collection<UInt8>, emit: (Unicode.Scalar) -> Void) {
        var decoder = self.decoder
        for byte in bytes {
            decoder.decode(byte) { scalar in
                process(scalar, emit: emit)
            }
        }
        self.decoder = decoder
    }

    private mutating func process(_ scalar: Unicode.Scalar, emit: (Unicode.Scalar) -> Void) {
        let value = scalar.value
        switch state {
        case .ground:
            ground(scalar, emit: emit)
        case .escape:
            dispatchEscape(scalar, emit: emit)
        case .escapeIntermediate:
            if Self.isAbort(value) {
                state = .ground
            } else if value == 0x1B {
                state = .escape
            } else if (0x20...0x2F).contains(value) || value < 0x20 || value == 0x7F {
                // More intermediates; C0 controls are executed (ignored here) in place.
            } else if (0x30...0x7E).contains(value) {
                state = .ground
            } else {
                state = .ground
                ground(scalar, emit: emit)
            }
        case .singleShift:
            state = value == 0x1B ? .escape : .ground
        case .csi:
            if Self.isAbort(value) {
                state = .ground
            } else if value == 0x1B {
                state = .escape
            } else if (0x40...0x7E).contains(value) {
                state = .ground
            } else if (0x80...0x9F).contains(value) {
                dispatchEscape(Unicode.Scalar(value - 0x40)!, emit: emit)
            } else if value <= 0x3F || value == 0x7F {
                // Parameters, intermediates, and C0 controls executed in place.
            } else {
                state = .ground
                ground(scalar, emit: emit)
            }
        case .controlString:
            if value == 0x07 || value == 0x9C || Self.isAbort(value) {
                state = .ground
            } else if value == 0x1B {
                state = .controlStringEscape
            }
        case .controlStringEscape:
            if value == 0x5C {
                state = .ground
            } else {
                // ESC ended the string; this scalar follows that ESC.
                dispatchEscape(scalar, emit: emit)
            }
        }
    }

    private mutating func ground(_ scalar: Unicode.Scalar, emit: (Unicode.Scalar) -> Void) {
        let value = scalar.value
        if value == 0x1B {
            state = .escape
        } else if (0x80...0x9F).contains(value) {
            dispatchEscape(Unicode.Scalar(value - 0x40)!, emit: emit)
        } else if Self.isWhitespace(scalar) {
            if !lastWasSpace {
                lastWasSpace = true
                emit(" ")
            }
        } else if value < 0x20 || value == 0x7F {
            // Other C0 controls (BEL, BS, NUL, ...) leave nothing on screen.
        } else {
            lastWasSpace = false
            emit(scalar)
        }
    }

    /// Handles the scalar after ESC (or the 7-bit equivalent of a C1 control).
    private mutating func dispatchEscape(_ scalar: Unicode.Scalar, emit: (Unicode.Scalar) -> Void) {
        switch scalar.value {
        case 0x5B: // [
            state = .csi
        case 0x5D, 0x50, 0x58, 0x5E, 0x5F: // ] P X ^ _
            state = .controlString
        case 0x4E, 0x4F: // N O
            state = .singleShift
        case 0x20...0x2F:
            state = .escapeIntermediate
        case 0x1B:
            state = .escape
        case 0x18, 0x1A:
            state = .ground
        case 0x30...0x7E:
            state = .ground
        case 0x00...0x1F, 0x7F:
            // C0 controls inside an escape are executed in place; the escape goes on.
            state = .escape
        default:
            state = .ground
            ground(scalar, emit: emit)
        }
    }

    private static func isAbort(_ value: UInt32) -> Bool {
        value == 0x18 || value == 0x1A
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20: true
        case 0x00...0x7F: false
        default: scalar.properties.isWhitespace
        }
    }
}
