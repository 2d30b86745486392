import CVTerm

/// Text of libvterm cells as a person reads it.
enum CellText {
    /// The marker libvterm puts in the second cell of a wide character.
    static let wideContinuation: UInt32 = 0xFFFF_FFFF

    /// Appends a row's text as UTF-8: blank cells as spaces, trailing blanks dropped, a wide
    /// character once, combining characters kept.
    static func appendRow(_ cells: UnsafePointer<VTermScreenCell>, count: Int, to out: inout [UInt8]) {
        var pendingSpaces = 0
        for index in 0..<count {
            let chars = cells[index].chars
            let first = chars.0
            if first == wideContinuation { continue }
            if first == 0 || first == 0x20 && chars.1 == 0 {
                pendingSpaces += 1
                continue
            }
            if pendingSpaces > 0 {
                out.append(contentsOf: repeatElement(0x20, count: pendingSpaces))
                pendingSpaces = 0
            }
            appendScalar(first, to: &out)
            if chars.1 != 0 {
                withUnsafeBytes(of: chars) { raw in
                    let scalars = raw.bindMemory(to: UInt32.self)
                    for scalar in scalars.dropFirst() {
                        if scalar == 0 { break }
                        appendScalar(scalar, to: &out)
                    }
                }
            }
        }
    }

    /// Appends one Unicode scalar as UTF-8 (U+FFFD for a value that is not one).
    static func appendScalar(_ value: UInt32, to out: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            out.append(UInt8(value))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | value >> 6))
            out.append(UInt8(0x80 | value & 0x3F))
        case 0x800..<0xD800, 0xE000..<0x10000:
            out.append(UInt8(0xE0 | value >> 12))
            out.append(UInt8(0x80 | value >> 6 & 0x3F))
            out.append(UInt8(0x80 | value & 0x3F))
        case 0x10000...0x10FFFF:
            out.append(UInt8(0xF0 | value >> 18))
            out.append(UInt8(0x80 | value >> 12 & 0x3F))
            out.append(UInt8(0x80 | value >> 6 & 0x3F))
            out.append(UInt8(0x80 | value & 0x3F))
        default:
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])
        }
    }
}
