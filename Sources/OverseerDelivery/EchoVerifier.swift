/// Watches an agent's output after an injection and tells when the injected text was echoed.
///
/// Matching rule: both the typed text and the output are normalized by
/// `TerminalTextNormalizer` (escape sequences and control characters gone), then compared
/// with ALL whitespace removed on both sides. Terminals and readline break long input at the
/// screen width by inserting `\r`, ` \r` or `\r\n`, even in the middle of a word, and may move
/// the cursor instead of printing spaces, so spacing in the echo says nothing reliable; the
/// order of the visible characters does. The price: `"ab c"` also matches an echo `"a bc"`.
///
/// A text that is empty, or only whitespace and control characters, has nothing visible to
/// look for and can never verify: `canVerify` is false and `feed` always returns false (the
/// caller should fall back to its timeout).
///
/// Memory is bounded by the text's length: matching is a Knuth–Morris–Pratt automaton over
/// the stream, whose state is how much of the text the latest output ends with, so nothing
/// of the output itself is kept. Not thread-safe: feed it from one place.
public final class EchoVerifier {
    private let pattern: [Unicode.Scalar]
    private let fallback: [Int]
    private var normalizer = TerminalTextNormalizer()
    private var matchedLength = 0

    /// Whether the text was seen; stays true once it is.
    public private(set) var isVerified = false

    /// Whether the text has anything visible to match at all.
    public var canVerify: Bool { !pattern.isEmpty }

    /// The visible characters that must appear, in order, with whitespace removed.
    public var expected: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: pattern)
        return String(view)
    }

    /// A verifier waiting for `text` (as typed, before the optional carriage return).
    public init(text: String) {
        let normalized = TerminalTextNormalizer.normalize(text)
        pattern = normalized.unicodeScalars.filter { !Self.isIgnored($0) }
        fallback = Self.failureFunction(pattern)
    }

    /// Feeds the next chunk of output; returns true once the whole text has appeared in the
    /// output fed so far (across any chunk boundaries).
    @discardableResult
    public func feed(_ bytes: some Collection<UInt8>) -> Bool {
        guard !isVerified, !pattern.isEmpty else { return isVerified }
        let pattern = self.pattern
        let fallback = self.fallback
        var matched = matchedLength
        var found = false
        normalizer.feed(bytes) { scalar in
            guard !found, !Self.isIgnored(scalar) else { return }
            while matched > 0 && pattern[matched] != scalar {
                matched = fallback[matched - 1]
            }
            if pattern[matched] == scalar {
                matched += 1
            }
            if matched == pattern.count {
                found = true
            }
        }
        matchedLength = matched
        isVerified = found
        return found
    }

    /// Whitespace and controls play no part in matching (the normalizer already removed
    /// controls from the output, but the typed text may carry some of its own).
    private static func isIgnored(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
            || scalar.properties.isWhitespace
    }

    /// `result[i]`: length of the longest proper prefix of `pattern[0...i]` that is also its suffix.
    private static func failureFunction(_ pattern: [Unicode.Scalar]) -> [Int] {
        var result = [Int](repeating: 0, count: pattern.count)
        var length = 0
        var index = 1
        while index < pattern.count {
            if pattern[index] == pattern[length] {
                length += 1
                result[index] = length
                index += 1
            } else if length > 0 {
                length = result[length - 1]
            } else {
                result[index] = 0
                index += 1
            }
        }
        return result
    }
}
