/// Follows, in the byte stream written to a terminal, whether it is on the alternate screen
/// (DECSET/DECRST 1049, 1047 or 47), so a client can leave it on exit — and only then: `?1049l`
/// on the main screen restores a saved cursor, which would jump to wherever that was.
struct AlternateScreenTracker {
    private(set) var isOnAlternateScreen = false
    /// The end of the previous chunk, for a sequence split across two chunks.
    private var carry: [UInt8] = []

    private static let switches: [(bytes: [UInt8], on: Bool)] = ["1049", "1047", "47"].flatMap { mode in
        [(Array("\u{1B}[?\(mode)h".utf8), true), (Array("\u{1B}[?\(mode)l".utf8), false)]
    }
    private static let longest = switches.map(\.bytes.count).max() ?? 0

    /// Notes the switches in `bytes` (the next chunk written to the terminal). A switch seen
    /// again in the carry changes nothing: any later one in `bytes` stands further right.
    mutating func observe(_ bytes: [UInt8]) {
        let window = carry + bytes
        var last: (index: Int, on: Bool)?
        for candidate in Self.switches {
            if let index = Self.lastIndex(of: candidate.bytes, in: window), index > (last?.index ?? -1) {
                last = (index, candidate.on)
            }
        }
        if let last { isOnAlternateScreen = last.on }
        carry = Array(window.suffix(Self.longest - 1))
    }

    private static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index -= 1
        }
        return nil
    }
}
